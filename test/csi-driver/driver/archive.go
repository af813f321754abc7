package driver

import (
	"archive/tar"
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// WriteTree writes the tree under root to w as a tar stream: regular files, directories and symlinks with their
// modes, owners and modification times (the attributes a restored volume must keep). It returns the sum of the
// regular files' sizes. Other file types (sockets, devices, fifos) are refused: a test volume never holds them.
func WriteTree(w io.Writer, root string) (int64, error) {
	tw := tar.NewWriter(w)
	var total int64
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(root, path)
		if err != nil {
			return err
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		link := ""
		if info.Mode()&fs.ModeSymlink != 0 {
			if link, err = os.Readlink(path); err != nil {
				return err
			}
		} else if !info.Mode().IsRegular() && !info.IsDir() {
			return fmt.Errorf("%s: unsupported file type %s", rel, info.Mode().Type())
		}
		hdr, err := tar.FileInfoHeader(info, link)
		if err != nil {
			return err
		}
		hdr.Name = filepath.ToSlash(rel)
		if info.IsDir() {
			hdr.Name += "/"
		}
		hdr.Format = tar.FormatPAX // keeps sub-second modification times
		hdr.Uname, hdr.Gname = "", ""
		if err := tw.WriteHeader(hdr); err != nil {
			return err
		}
		if info.Mode().IsRegular() {
			f, err := os.Open(path)
			if err != nil {
				return err
			}
			n, err := io.Copy(tw, f)
			f.Close()
			if err != nil {
				return err
			}
			total += n
		}
		return nil
	})
	if err != nil {
		return 0, err
	}
	return total, tw.Close()
}

// ReadTree unpacks a tar stream written by WriteTree into root (which must exist), restoring modes, owners and
// modification times. Directory times are set last, since creating their entries changes them.
func ReadTree(r io.Reader, root string) error {
	tr := tar.NewReader(r)
	type dirAttrs struct {
		path  string
		mode  fs.FileMode
		mtime time.Time
	}
	var dirs []dirAttrs
	for {
		hdr, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return err
		}
		name := filepath.Clean(filepath.FromSlash(hdr.Name))
		if filepath.IsAbs(name) || name == ".." || strings.HasPrefix(name, ".."+string(filepath.Separator)) {
			return fmt.Errorf("tar entry %q leaves the volume", hdr.Name)
		}
		path := filepath.Join(root, name)
		mode := fs.FileMode(hdr.Mode) & (fs.ModePerm | fs.ModeSetuid | fs.ModeSetgid | fs.ModeSticky)
		switch hdr.Typeflag {
		case tar.TypeDir:
			if err := os.MkdirAll(path, 0o700); err != nil {
				return err
			}
			dirs = append(dirs, dirAttrs{path, mode, hdr.ModTime})
		case tar.TypeReg:
			f, err := os.OpenFile(path, os.O_CREATE|os.O_TRUNC|os.O_WRONLY, 0o600)
			if err != nil {
				return err
			}
			_, err = io.Copy(f, tr)
			if cerr := f.Close(); err == nil {
				err = cerr
			}
			if err != nil {
				return err
			}
		case tar.TypeSymlink:
			if err := os.Symlink(hdr.Linkname, path); err != nil {
				return err
			}
		default:
			return fmt.Errorf("tar entry %q: unsupported type %q", hdr.Name, hdr.Typeflag)
		}
		if err := os.Lchown(path, hdr.Uid, hdr.Gid); err != nil && !errors.Is(err, syscall.EPERM) {
			return err
		}
		if hdr.Typeflag == tar.TypeSymlink {
			ts := []unix.Timespec{unix.NsecToTimespec(hdr.ModTime.UnixNano()), unix.NsecToTimespec(hdr.ModTime.UnixNano())}
			if err := unix.UtimesNanoAt(unix.AT_FDCWD, path, ts, unix.AT_SYMLINK_NOFOLLOW); err != nil {
				return err
			}
			continue
		}
		if hdr.Typeflag == tar.TypeReg {
			// chmod after chown: chown clears the setuid/setgid bits.
			if err := os.Chmod(path, mode); err != nil {
				return err
			}
			if err := os.Chtimes(path, hdr.ModTime, hdr.ModTime); err != nil {
				return err
			}
		}
	}
	// Directories last, deepest first: a read-only mode would block their entries, and creating entries
	// changes their times.
	for i := len(dirs) - 1; i >= 0; i-- {
		d := dirs[i]
		if err := os.Chmod(d.path, d.mode); err != nil {
			return err
		}
		if err := os.Chtimes(d.path, d.mtime, d.mtime); err != nil {
			return err
		}
	}
	return nil
}

// WriteSnapshotFile writes the tree under root to file as a gzip'd tar (via a temporary file, renamed when
// complete) and returns the sum of the files' sizes.
func WriteSnapshotFile(file, root string) (int64, error) {
	tmp := file + ".tmp"
	f, err := os.Create(tmp)
	if err != nil {
		return 0, err
	}
	defer os.Remove(tmp)
	gz, _ := gzip.NewWriterLevel(f, gzip.BestSpeed)
	size, err := WriteTree(gz, root)
	if err == nil {
		err = gz.Close()
	}
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return 0, err
	}
	return size, os.Rename(tmp, file)
}

// ReadSnapshotFile unpacks a snapshot file into root.
func ReadSnapshotFile(file, root string) error {
	f, err := os.Open(file)
	if err != nil {
		return err
	}
	defer f.Close()
	gz, err := gzip.NewReader(f)
	if err != nil {
		return fmt.Errorf("%s: %w", file, err)
	}
	return ReadTree(gz, root)
}

// CopyTree copies the tree under src into dst (which must exist) with the same attributes as a snapshot keeps.
func CopyTree(src, dst string) error {
	pr, pw := io.Pipe()
	go func() {
		_, err := WriteTree(pw, src)
		pw.CloseWithError(err)
	}()
	err := ReadTree(pr, dst)
	pr.CloseWithError(err)
	return err
}
