package driver

import (
	"context"
	"net"
	"os"
	"path/filepath"
	"testing"

	"github.com/container-storage-interface/spec/lib/go/csi"
)

// Over a real socket with real bind mounts (needs root, as the test environment does): the client mode the
// harness uses mounts the volume's directory at the pod's path and removes the mounts again.
func TestClientModeMountsOverTheSocket(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("bind mounts need root")
	}
	base, err := os.MkdirTemp("", "csi")
	if err != nil {
		t.Fatal(err)
	}
	defer os.RemoveAll(base)
	store, err := OpenStore(filepath.Join(base, "state"))
	if err != nil {
		t.Fatal(err)
	}
	sock := filepath.Join(base, "csi.sock")
	lis, err := net.Listen("unix", sock)
	if err != nil {
		t.Fatal(err)
	}
	srv := NewServer(New(store, "node-a", SystemMounter{}))
	go func() { _ = srv.Serve(lis) }()
	defer srv.Stop()

	conn, err := Dial("unix://" + sock)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	ctx := context.Background()
	info, err := csi.NewIdentityClient(conn).GetPluginInfo(ctx, &csi.GetPluginInfoRequest{})
	if err != nil || info.GetName() != DriverName {
		t.Fatalf("plugin info %v %v", info, err)
	}
	vol, err := csi.NewControllerClient(conn).CreateVolume(ctx, &csi.CreateVolumeRequest{Name: "pvc", VolumeCapabilities: mountCap})
	if err != nil {
		t.Fatal(err)
	}
	id := vol.GetVolume().GetVolumeId()
	op := NodeOp{VolumeID: id, StagingPath: filepath.Join(base, "staging/globalmount"), TargetPath: filepath.Join(base, "pods/uid/volumes/mount")}
	if err := RunNodeOp(ctx, "unix://"+sock, "mount", op); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{op.StagingPath, op.TargetPath} {
		if ok, err := (SystemMounter{}).IsMountPoint(p); err != nil || !ok {
			t.Fatalf("%s is not a mount point (%v)", p, err)
		}
	}
	if err := os.WriteFile(filepath.Join(op.TargetPath, "hello"), []byte("hi"), 0o644); err != nil {
		t.Fatal(err)
	}
	if data, err := os.ReadFile(filepath.Join(store.VolumeDir(id), "hello")); err != nil || string(data) != "hi" {
		t.Fatalf("written through the mount, read from the volume: %q %v", data, err)
	}
	if err := RunNodeOp(ctx, "unix://"+sock, "unmount", op); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{op.StagingPath, op.TargetPath} {
		if ok, _ := (SystemMounter{}).IsMountPoint(p); ok {
			t.Errorf("%s is still mounted", p)
		}
	}
	ro := op
	ro.ReadOnly = true
	if err := RunNodeOp(ctx, "unix://"+sock, "mount", ro); err != nil {
		t.Fatal(err)
	}
	defer func() { _ = RunNodeOp(ctx, "unix://"+sock, "unmount", ro) }()
	if err := os.WriteFile(filepath.Join(ro.TargetPath, "nope"), []byte("x"), 0o644); err == nil {
		t.Error("wrote through a read-only publish")
	}
}
