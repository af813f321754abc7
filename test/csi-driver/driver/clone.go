package driver

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// CloneStats says how CloneTree copied a tree's files.
type CloneStats struct {
	// Bytes is the sum of the regular files' sizes.
	Bytes int64
	// Cloned files share their data with the source, copy-on-write (FICLONE, as `cp --reflink`).
	Cloned int
	// Copied files were copied in full, because the filesystem cannot share data (NoCloneReason says why).
	Copied        int
	NoCloneReason string
}

// Describe is a one-line summary for the driver's log.
func (s CloneStats) Describe() string {
	out := fmt.Sprintf("%d bytes: %d files cloned copy-on-write", s.Bytes, s.Cloned)
	if s.Copied > 0 {
		out += fmt.Sprintf(", %d copied in full (the filesystem cannot clone: %s)", s.Copied, s.NoCloneReason)
	}
	return out
}

// CloneTree copies the tree under src into dst (which must exist) as a storage system's snapshot would: regular
// files, directories and symlinks, with their modes, owners and modification times. A regular file's data is
// shared with the source copy-on-write when the filesystem supports it (XFS with reflink, btrfs), so a snapshot
// of a large volume takes moments and no space, and later writes to either side do not reach the other. Where it
// cannot (ext4, tmpfs, two filesystems), the file is copied in full and CloneStats says why. Other file types
// (sockets, devices, fifos) are refused: a test volume never holds them.
func CloneTree(src, dst string) (CloneStats, error) {
	c := &cloner{canClone: true}
	type dirAttrs struct {
		path  string
		mode  fs.FileMode
		mtime time.Time
	}
	var dirs []dirAttrs
	err := filepath.WalkDir(src, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(src, path)
		if err != nil {
			return err
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		target := filepath.Join(dst, rel)
		switch {
		case info.IsDir():
			if rel != "." {
				if err := os.Mkdir(target, 0o700); err != nil {
					return err
				}
			}
			dirs = append(dirs, dirAttrs{target, info.Mode(), info.ModTime()})
		case info.Mode()&fs.ModeSymlink != 0:
			link, err := os.Readlink(path)
			if err != nil {
				return err
			}
			if err := os.Symlink(link, target); err != nil {
				return err
			}
		case info.Mode().IsRegular():
			if err := c.file(path, target, info.Size()); err != nil {
				return fmt.Errorf("%s: %w", rel, err)
			}
		default:
			return fmt.Errorf("%s: unsupported file type %s", rel, info.Mode().Type())
		}
		if info.IsDir() {
			return keepOwner(target, info)
		}
		return keepAttributes(target, info)
	})
	if err != nil {
		return CloneStats{}, err
	}
	// Directories last, deepest first: a read-only mode would block their entries, and creating entries
	// changes their times.
	for i := len(dirs) - 1; i >= 0; i-- {
		d := dirs[i]
		if err := os.Chmod(d.path, d.mode&permBits); err != nil {
			return CloneStats{}, err
		}
		if err := os.Chtimes(d.path, d.mtime, d.mtime); err != nil {
			return CloneStats{}, err
		}
	}
	return c.stats, nil
}

const permBits = fs.ModePerm | fs.ModeSetuid | fs.ModeSetgid | fs.ModeSticky

type cloner struct {
	stats CloneStats
	// canClone turns false at the first file the filesystem refuses to clone: the rest are on the same one.
	canClone bool
}

func (c *cloner) file(src, dst string, size int64) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.OpenFile(dst, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o600)
	if err != nil {
		return err
	}
	err = c.fill(in, out)
	if cerr := out.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		c.stats.Bytes += size
	}
	return err
}

func (c *cloner) fill(in, out *os.File) error {
	if c.canClone {
		err := unix.IoctlFileClone(int(out.Fd()), int(in.Fd()))
		if err == nil {
			c.stats.Cloned++
			return nil
		}
		if !cannotClone(err) {
			return fmt.Errorf("FICLONE: %w", err)
		}
		c.canClone = false
		c.stats.NoCloneReason = fmt.Sprintf("FICLONE: %v", err)
	}
	// *os.File's ReadFrom uses copy_file_range, which shares blocks where it can and copies otherwise.
	if _, err := io.Copy(out, in); err != nil {
		return err
	}
	c.stats.Copied++
	return nil
}

// cannotClone is true for the errors that mean "this filesystem (or pair of them) does not share data".
func cannotClone(err error) bool {
	return errors.Is(err, unix.EOPNOTSUPP) || errors.Is(err, unix.ENOTSUP) || errors.Is(err, unix.EXDEV) ||
		errors.Is(err, unix.EINVAL) || errors.Is(err, unix.ENOTTY) || errors.Is(err, unix.ENOSYS)
}

// keepOwner gives target the owner of the source; without the right to (not root) it keeps the caller's.
func keepOwner(target string, info fs.FileInfo) error {
	st, ok := info.Sys().(*syscall.Stat_t)
	if !ok {
		return nil
	}
	if err := os.Lchown(target, int(st.Uid), int(st.Gid)); err != nil && !errors.Is(err, syscall.EPERM) {
		return err
	}
	return nil
}

// keepAttributes gives a file or symlink the source's owner, mode and modification time.
func keepAttributes(target string, info fs.FileInfo) error {
	if err := keepOwner(target, info); err != nil {
		return err
	}
	mtime := unix.NsecToTimespec(info.ModTime().UnixNano())
	if info.Mode()&fs.ModeSymlink != 0 {
		return unix.UtimesNanoAt(unix.AT_FDCWD, target, []unix.Timespec{mtime, mtime}, unix.AT_SYMLINK_NOFOLLOW)
	}
	// chmod after chown: chown clears the setuid/setgid bits.
	if err := os.Chmod(target, info.Mode()&permBits); err != nil {
		return err
	}
	return os.Chtimes(target, info.ModTime(), info.ModTime())
}
