package driver

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/container-storage-interface/spec/lib/go/csi"
	"golang.org/x/sys/unix"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// treeEntry is what a restored volume must keep of each file.
type treeEntry struct {
	Mode     fs.FileMode
	UID, GID uint32
	MTime    int64
	Link     string
	SHA256   string
}

func describeTree(t *testing.T, root string) map[string]treeEntry {
	t.Helper()
	out := map[string]treeEntry{}
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, p)
		info, err := os.Lstat(p)
		if err != nil {
			return err
		}
		st := info.Sys().(*syscall.Stat_t)
		e := treeEntry{Mode: info.Mode(), UID: st.Uid, GID: st.Gid, MTime: info.ModTime().UnixNano()}
		switch {
		case info.Mode()&fs.ModeSymlink != 0:
			e.Link, _ = os.Readlink(p)
		case info.Mode().IsRegular():
			data, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			sum := sha256.Sum256(data)
			e.SHA256 = hex.EncodeToString(sum[:])
		}
		out[rel] = e
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func sameTree(t *testing.T, want, got map[string]treeEntry) {
	t.Helper()
	var keys []string
	for k := range want {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		if got[k] != want[k] {
			t.Errorf("%s: want %+v, got %+v", k, want[k], got[k])
		}
	}
	for k := range got {
		if _, ok := want[k]; !ok {
			t.Errorf("%s: not in the source tree", k)
		}
	}
}

// fillTree writes files with varied modes, owners, symlinks and times under root.
func fillTree(t *testing.T, root string) {
	t.Helper()
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(os.MkdirAll(filepath.Join(root, "dir/sub"), 0o755))
	must(os.WriteFile(filepath.Join(root, "dir/a.txt"), []byte("alpha\n"), 0o644))
	must(os.WriteFile(filepath.Join(root, "dir/sub/run.sh"), []byte("#!/bin/sh\necho hi\n"), 0o755))
	must(os.WriteFile(filepath.Join(root, "secret"), []byte(strings.Repeat("x", 100000)), 0o600))
	must(os.WriteFile(filepath.Join(root, "empty"), nil, 0o640))
	must(os.Symlink("dir/a.txt", filepath.Join(root, "link")))
	must(os.Symlink("/nowhere", filepath.Join(root, "dangling")))
	if os.Geteuid() == 0 {
		must(os.Lchown(filepath.Join(root, "dir/a.txt"), 1234, 5678))
		must(os.Lchown(filepath.Join(root, "link"), 42, 43))
	}
	must(os.Chmod(filepath.Join(root, "dir/sub"), 0o750))
	old := time.Date(2020, 1, 2, 3, 4, 5, 600000000, time.UTC)
	for _, p := range []string{"dir/a.txt", "dir/sub/run.sh", "secret", "empty", "dir/sub", "dir"} {
		must(os.Chtimes(filepath.Join(root, p), old, old))
	}
}

func TestCloneTreeKeepsTheTree(t *testing.T) {
	src, dst := t.TempDir(), t.TempDir()
	fillTree(t, src)
	stats, err := CloneTree(src, dst)
	if err != nil {
		t.Fatal(err)
	}
	if stats.Bytes != int64(len("alpha\n")+len("#!/bin/sh\necho hi\n")+100000) {
		t.Errorf("size %d", stats.Bytes)
	}
	if stats.Cloned+stats.Copied != 4 {
		t.Errorf("stats %+v: want 4 regular files", stats)
	}
	sameTree(t, describeTree(t, src), describeTree(t, dst))
}

func TestCloneTreeRefusesSpecialFiles(t *testing.T) {
	src := t.TempDir()
	if err := unix.Mkfifo(filepath.Join(src, "pipe"), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err := CloneTree(src, t.TempDir())
	if err == nil || !strings.Contains(err.Error(), "unsupported file type") {
		t.Fatalf("want a refusal naming the file type, got %v", err)
	}
}

// reflinkDir is a directory on a filesystem that clones files copy-on-write: $SKIFF_TEST_REFLINK_DIR, else a
// small XFS image (reflink=1) loop-mounted for the test when run as root with mkfs.xfs at hand; else skip.
func reflinkDir(t *testing.T) string {
	t.Helper()
	if d := os.Getenv("SKIFF_TEST_REFLINK_DIR"); d != "" {
		return d
	}
	mkfs, err := exec.LookPath("mkfs.xfs")
	if err != nil || os.Geteuid() != 0 {
		t.Skip("needs root and mkfs.xfs (Debian package xfsprogs) to make a reflink filesystem")
	}
	base := t.TempDir()
	img, mnt := filepath.Join(base, "xfs.img"), filepath.Join(base, "mnt")
	if err := os.Mkdir(mnt, 0o755); err != nil {
		t.Fatal(err)
	}
	f, err := os.Create(img)
	if err != nil {
		t.Fatal(err)
	}
	if err := f.Truncate(320 << 20); err != nil { // mkfs.xfs's smallest filesystem is 300 MiB
		t.Fatal(err)
	}
	f.Close()
	if out, err := exec.Command(mkfs, "-q", "-m", "reflink=1", img).CombinedOutput(); err != nil {
		t.Skipf("mkfs.xfs: %v: %s", err, out)
	}
	if out, err := exec.Command("mount", "-o", "loop", img, mnt).CombinedOutput(); err != nil {
		t.Skipf("cannot loop-mount an XFS image here: %v: %s", err, out)
	}
	t.Cleanup(func() { _ = exec.Command("umount", mnt).Run() })
	return mnt
}

func TestCloneTreeSharesDataCopyOnWrite(t *testing.T) {
	root := reflinkDir(t)
	src, dst := filepath.Join(root, "src"), filepath.Join(root, "dst")
	for _, d := range []string{src, dst} {
		if err := os.Mkdir(d, 0o755); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = os.RemoveAll(d) })
	}
	fillTree(t, src)
	big := filepath.Join(src, "big")
	if err := os.WriteFile(big, bytes.Repeat([]byte("0123456789abcdef"), 1<<20), 0o644); err != nil {
		t.Fatal(err)
	}
	want := describeTree(t, src)
	stats, err := CloneTree(src, dst)
	if err != nil {
		t.Fatal(err)
	}
	if stats.Copied != 0 || stats.Cloned != 5 {
		t.Fatalf("on a reflink filesystem every file is cloned: %s", stats.Describe())
	}
	sameTree(t, want, describeTree(t, dst))
	// A write in place into the source (no truncation, same inode) must not reach the clone.
	f, err := os.OpenFile(big, os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.WriteAt([]byte("CHANGED"), 4096); err != nil {
		t.Fatal(err)
	}
	f.Close()
	if got := describeTree(t, dst)["big"]; got != want["big"] {
		t.Errorf("the clone changed with its source: %+v", got)
	}
}

func newTestDriver(t *testing.T, dir string) (*Driver, *fakeMounter) {
	t.Helper()
	store, err := OpenStore(dir)
	if err != nil {
		t.Fatal(err)
	}
	m := &fakeMounter{mounts: map[string]string{}}
	return New(store, "node-a", m), m
}

// fakeMounter records bind mounts so the node service's bookkeeping can be tested without root.
type fakeMounter struct{ mounts map[string]string }

func (f *fakeMounter) BindMount(source, target string, _ bool) error {
	f.mounts[target] = source
	return nil
}
func (f *fakeMounter) Unmount(target string) error         { delete(f.mounts, target); return nil }
func (f *fakeMounter) IsMountPoint(p string) (bool, error) { _, ok := f.mounts[p]; return ok, nil }

var mountCap = []*csi.VolumeCapability{mountCapability}

func createVolume(t *testing.T, d *Driver, name string, src *csi.VolumeContentSource) *csi.Volume {
	t.Helper()
	resp, err := d.CreateVolume(context.Background(), &csi.CreateVolumeRequest{Name: name, VolumeCapabilities: mountCap,
		CapacityRange: &csi.CapacityRange{RequiredBytes: 5 << 20}, VolumeContentSource: src})
	if err != nil {
		t.Fatal(err)
	}
	return resp.GetVolume()
}

func wantCode(t *testing.T, err error, code codes.Code) {
	t.Helper()
	if status.Code(err) != code {
		t.Fatalf("want %s, got %v", code, err)
	}
}

func TestCreateVolumeIsIdempotentAndReportsTopology(t *testing.T) {
	d, _ := newTestDriver(t, t.TempDir())
	v1 := createVolume(t, d, "pvc-1", nil)
	v2 := createVolume(t, d, "pvc-1", nil)
	if v1.GetVolumeId() != v2.GetVolumeId() {
		t.Fatalf("a retried CreateVolume made a second volume: %s, %s", v1.GetVolumeId(), v2.GetVolumeId())
	}
	if got := v1.GetAccessibleTopology()[0].GetSegments()[TopologyKey]; got != "node-a" {
		t.Errorf("topology %q", got)
	}
	if v1.GetCapacityBytes() != 5<<20 {
		t.Errorf("capacity %d", v1.GetCapacityBytes())
	}
	info, err := os.Stat(d.store.VolumeDir(v1.GetVolumeId()))
	if err != nil || !info.IsDir() {
		t.Fatalf("volume directory: %v", err)
	}
}

func TestCreateVolumeRefusesBlockAndOtherNodes(t *testing.T) {
	d, _ := newTestDriver(t, t.TempDir())
	_, err := d.CreateVolume(context.Background(), &csi.CreateVolumeRequest{Name: "b", VolumeCapabilities: []*csi.VolumeCapability{{
		AccessType: &csi.VolumeCapability_Block{Block: &csi.VolumeCapability_BlockVolume{}}}}})
	wantCode(t, err, codes.InvalidArgument)
	_, err = d.CreateVolume(context.Background(), &csi.CreateVolumeRequest{Name: "o", VolumeCapabilities: mountCap,
		AccessibilityRequirements: &csi.TopologyRequirement{Requisite: []*csi.Topology{{Segments: map[string]string{TopologyKey: "node-b"}}}}})
	wantCode(t, err, codes.ResourceExhausted)
	_, err = d.CreateVolume(context.Background(), &csi.CreateVolumeRequest{Name: "s", VolumeCapabilities: mountCap,
		VolumeContentSource: &csi.VolumeContentSource{Type: &csi.VolumeContentSource_Snapshot{Snapshot: &csi.VolumeContentSource_SnapshotSource{SnapshotId: "snap-missing"}}}})
	wantCode(t, err, codes.NotFound)
}

func TestSnapshotRestoreAndClone(t *testing.T) {
	ctx := context.Background()
	d, _ := newTestDriver(t, t.TempDir())
	v := createVolume(t, d, "pvc-src", nil)
	dir := d.store.VolumeDir(v.GetVolumeId())
	fillTree(t, dir)
	want := describeTree(t, dir)

	snap, err := d.CreateSnapshot(ctx, &csi.CreateSnapshotRequest{Name: "snapshot-1", SourceVolumeId: v.GetVolumeId()})
	if err != nil {
		t.Fatal(err)
	}
	if !snap.GetSnapshot().GetReadyToUse() || snap.GetSnapshot().GetSourceVolumeId() != v.GetVolumeId() {
		t.Fatalf("snapshot %+v", snap.GetSnapshot())
	}
	again, err := d.CreateSnapshot(ctx, &csi.CreateSnapshotRequest{Name: "snapshot-1", SourceVolumeId: v.GetVolumeId()})
	if err != nil || again.GetSnapshot().GetSnapshotId() != snap.GetSnapshot().GetSnapshotId() {
		t.Fatalf("retried CreateSnapshot: %v %v", again, err)
	}
	// Written after the snapshot: must not be in a volume restored from it.
	if err := os.WriteFile(filepath.Join(dir, "later.txt"), []byte("after"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "dir/a.txt"), []byte("changed"), 0o644); err != nil {
		t.Fatal(err)
	}

	restored := createVolume(t, d, "pvc-restored", &csi.VolumeContentSource{Type: &csi.VolumeContentSource_Snapshot{
		Snapshot: &csi.VolumeContentSource_SnapshotSource{SnapshotId: snap.GetSnapshot().GetSnapshotId()}}})
	if restored.GetContentSource().GetSnapshot().GetSnapshotId() != snap.GetSnapshot().GetSnapshotId() {
		t.Errorf("content source %+v", restored.GetContentSource())
	}
	sameTree(t, want, describeTree(t, d.store.VolumeDir(restored.GetVolumeId())))

	clone := createVolume(t, d, "pvc-clone", &csi.VolumeContentSource{Type: &csi.VolumeContentSource_Volume{
		Volume: &csi.VolumeContentSource_VolumeSource{VolumeId: v.GetVolumeId()}}})
	sameTree(t, describeTree(t, dir), describeTree(t, d.store.VolumeDir(clone.GetVolumeId())))

	if _, err := d.DeleteSnapshot(ctx, &csi.DeleteSnapshotRequest{SnapshotId: snap.GetSnapshot().GetSnapshotId()}); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(d.store.SnapshotFile(snap.GetSnapshot().GetSnapshotId())); !os.IsNotExist(err) {
		t.Errorf("snapshot file still there: %v", err)
	}
	if _, err := d.DeleteSnapshot(ctx, &csi.DeleteSnapshotRequest{SnapshotId: snap.GetSnapshot().GetSnapshotId()}); err != nil {
		t.Errorf("deleting a deleted snapshot: %v", err)
	}
	if _, err := d.DeleteVolume(ctx, &csi.DeleteVolumeRequest{VolumeId: v.GetVolumeId()}); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(dir); !os.IsNotExist(err) {
		t.Errorf("volume directory still there: %v", err)
	}
}

func TestListSnapshotsFiltersAndPages(t *testing.T) {
	ctx := context.Background()
	d, _ := newTestDriver(t, t.TempDir())
	a := createVolume(t, d, "a", nil)
	b := createVolume(t, d, "b", nil)
	for i, v := range []*csi.Volume{a, a, b} {
		if _, err := d.CreateSnapshot(ctx, &csi.CreateSnapshotRequest{Name: "s" + string(rune('0'+i)), SourceVolumeId: v.GetVolumeId()}); err != nil {
			t.Fatal(err)
		}
	}
	resp, err := d.ListSnapshots(ctx, &csi.ListSnapshotsRequest{SourceVolumeId: a.GetVolumeId()})
	if err != nil || len(resp.GetEntries()) != 2 {
		t.Fatalf("by source: %v %v", resp, err)
	}
	one, err := d.ListSnapshots(ctx, &csi.ListSnapshotsRequest{SnapshotId: resp.GetEntries()[0].GetSnapshot().GetSnapshotId()})
	if err != nil || len(one.GetEntries()) != 1 {
		t.Fatalf("by id: %v %v", one, err)
	}
	seen := 0
	token := ""
	for {
		page, err := d.ListSnapshots(ctx, &csi.ListSnapshotsRequest{MaxEntries: 2, StartingToken: token})
		if err != nil {
			t.Fatal(err)
		}
		seen += len(page.GetEntries())
		if token = page.GetNextToken(); token == "" {
			break
		}
	}
	if seen != 3 {
		t.Errorf("paged %d snapshots, want 3", seen)
	}
	_, err = d.ListSnapshots(ctx, &csi.ListSnapshotsRequest{StartingToken: "zz"})
	wantCode(t, err, codes.Aborted)
}

func TestStateSurvivesARestart(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	d, _ := newTestDriver(t, dir)
	v := createVolume(t, d, "pvc-keep", nil)
	if err := os.WriteFile(filepath.Join(d.store.VolumeDir(v.GetVolumeId()), "f"), []byte("kept"), 0o644); err != nil {
		t.Fatal(err)
	}
	snap, err := d.CreateSnapshot(ctx, &csi.CreateSnapshotRequest{Name: "s", SourceVolumeId: v.GetVolumeId()})
	if err != nil {
		t.Fatal(err)
	}
	d2, _ := newTestDriver(t, dir)
	if again := createVolume(t, d2, "pvc-keep", nil); again.GetVolumeId() != v.GetVolumeId() {
		t.Errorf("after restart the volume has another id: %s", again.GetVolumeId())
	}
	list, err := d2.ListSnapshots(ctx, &csi.ListSnapshotsRequest{})
	if err != nil || len(list.GetEntries()) != 1 || list.GetEntries()[0].GetSnapshot().GetSnapshotId() != snap.GetSnapshot().GetSnapshotId() {
		t.Fatalf("snapshots after restart: %v %v", list, err)
	}
	r := createVolume(t, d2, "from-s", &csi.VolumeContentSource{Type: &csi.VolumeContentSource_Snapshot{
		Snapshot: &csi.VolumeContentSource_SnapshotSource{SnapshotId: snap.GetSnapshot().GetSnapshotId()}}})
	if data, _ := os.ReadFile(filepath.Join(d2.store.VolumeDir(r.GetVolumeId()), "f")); string(data) != "kept" {
		t.Errorf("restored content %q", data)
	}
}

func TestNodeStagesBeforePublishing(t *testing.T) {
	ctx := context.Background()
	d, m := newTestDriver(t, t.TempDir())
	v := createVolume(t, d, "pvc", nil)
	base := t.TempDir()
	staging, target := filepath.Join(base, "globalmount"), filepath.Join(base, "pods/uid/mount")
	_, err := d.NodePublishVolume(ctx, &csi.NodePublishVolumeRequest{VolumeId: v.GetVolumeId(), StagingTargetPath: staging, TargetPath: target, VolumeCapability: mountCapability})
	wantCode(t, err, codes.FailedPrecondition)
	if _, err := d.NodeStageVolume(ctx, &csi.NodeStageVolumeRequest{VolumeId: v.GetVolumeId(), StagingTargetPath: staging, VolumeCapability: mountCapability}); err != nil {
		t.Fatal(err)
	}
	for range 2 { // publishing twice is idempotent
		if _, err := d.NodePublishVolume(ctx, &csi.NodePublishVolumeRequest{VolumeId: v.GetVolumeId(), StagingTargetPath: staging, TargetPath: target, VolumeCapability: mountCapability}); err != nil {
			t.Fatal(err)
		}
	}
	if m.mounts[staging] != d.store.VolumeDir(v.GetVolumeId()) || m.mounts[target] != staging {
		t.Fatalf("mounts %v", m.mounts)
	}
	_, err = d.DeleteVolume(ctx, &csi.DeleteVolumeRequest{VolumeId: v.GetVolumeId()})
	wantCode(t, err, codes.FailedPrecondition)
	_, err = d.NodeUnstageVolume(ctx, &csi.NodeUnstageVolumeRequest{VolumeId: v.GetVolumeId(), StagingTargetPath: staging})
	wantCode(t, err, codes.FailedPrecondition)
	if _, err := d.NodeUnpublishVolume(ctx, &csi.NodeUnpublishVolumeRequest{VolumeId: v.GetVolumeId(), TargetPath: target}); err != nil {
		t.Fatal(err)
	}
	if _, err := d.NodeUnstageVolume(ctx, &csi.NodeUnstageVolumeRequest{VolumeId: v.GetVolumeId(), StagingTargetPath: staging}); err != nil {
		t.Fatal(err)
	}
	if len(m.mounts) != 0 {
		t.Errorf("mounts left: %v", m.mounts)
	}
	if _, err := os.Stat(target); !os.IsNotExist(err) {
		t.Errorf("target directory left: %v", err)
	}
	if _, err := d.DeleteVolume(ctx, &csi.DeleteVolumeRequest{VolumeId: v.GetVolumeId()}); err != nil {
		t.Fatal(err)
	}
}
