package driver

import (
	"bufio"
	"fmt"
	"os"
	"os/exec"
	"strings"
)

// Mounter makes and removes bind mounts. The node service uses real bind mounts (never symlinks: a symlink
// passes tests that a real mount would fail, ../shared testenv.md §11).
type Mounter interface {
	BindMount(source, target string, readOnly bool) error
	Unmount(target string) error
	IsMountPoint(path string) (bool, error)
}

// SystemMounter runs mount(8) and umount(8); it needs root (or CAP_SYS_ADMIN).
type SystemMounter struct{}

func run(name string, args ...string) error {
	out, err := exec.Command(name, args...).CombinedOutput()
	if err != nil {
		return fmt.Errorf("%s %s: %v: %s", name, strings.Join(args, " "), err, strings.TrimSpace(string(out)))
	}
	return nil
}

func (SystemMounter) BindMount(source, target string, readOnly bool) error {
	if err := run("mount", "--bind", source, target); err != nil {
		return err
	}
	if readOnly {
		if err := run("mount", "-o", "remount,bind,ro", target); err != nil {
			_ = run("umount", target)
			return err
		}
	}
	return nil
}

func (SystemMounter) Unmount(target string) error { return run("umount", target) }

// IsMountPoint reports whether path is the mount point of some mount (from /proc/self/mountinfo, whose fifth
// field is the mount point with spaces and the like octal-escaped).
func (SystemMounter) IsMountPoint(path string) (bool, error) {
	f, err := os.Open("/proc/self/mountinfo")
	if err != nil {
		return false, err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 64*1024), 1024*1024)
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) > 4 && unescapeMountPath(fields[4]) == path {
			return true, nil
		}
	}
	return false, sc.Err()
}

func unescapeMountPath(s string) string {
	if !strings.Contains(s, `\`) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+3 < len(s) {
			var c byte
			if _, err := fmt.Sscanf(s[i+1:i+4], "%03o", &c); err == nil {
				b.WriteByte(c)
				i += 3
				continue
			}
		}
		b.WriteByte(s[i])
	}
	return b.String()
}
