package driver

import (
	"context"
	"fmt"
	"log"
	"net"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"

	"github.com/container-storage-interface/spec/lib/go/csi"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
)

// socketPath turns unix:///path (or a bare path) into the socket's path.
func socketPath(endpoint string) (string, error) {
	p := strings.TrimPrefix(endpoint, "unix://")
	if !filepath.IsAbs(p) {
		return "", fmt.Errorf("endpoint %q: want unix:///absolute/path", endpoint)
	}
	// sun_path holds 108 bytes including the terminating NUL.
	if len(p) > 107 {
		return "", fmt.Errorf("socket path %s is %d bytes long; unix sockets allow 107", p, len(p))
	}
	return p, nil
}

// NewServer returns a gRPC server with the driver's three services registered, logging each failed call.
func NewServer(d *Driver) *grpc.Server {
	logErrors := func(ctx context.Context, req any, info *grpc.UnaryServerInfo, h grpc.UnaryHandler) (any, error) {
		resp, err := h(ctx, req)
		if err != nil {
			log.Printf("%s: %v", info.FullMethod, err)
		} else {
			log.Printf("%s ok", info.FullMethod)
		}
		return resp, err
	}
	srv := grpc.NewServer(grpc.UnaryInterceptor(logErrors))
	csi.RegisterIdentityServer(srv, d)
	csi.RegisterControllerServer(srv, d)
	csi.RegisterNodeServer(srv, d)
	return srv
}

// Serve runs the driver on a unix socket until SIGTERM or SIGINT.
func Serve(endpoint, nodeID, stateDir string) error {
	path, err := socketPath(endpoint)
	if err != nil {
		return err
	}
	store, err := OpenStore(stateDir)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	_ = os.Remove(path) // a socket left by a previous run
	lis, err := net.Listen("unix", path)
	if err != nil {
		return err
	}
	srv := NewServer(New(store, nodeID, SystemMounter{}))
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, syscall.SIGTERM, syscall.SIGINT)
	go func() {
		<-sig
		srv.GracefulStop()
	}()
	log.Printf("%s %s serving node %s on %s, state in %s", DriverName, Version, nodeID, path, stateDir)
	return srv.Serve(lis)
}

// NodeOp names one volume's node-side paths for RunNodeOp.
type NodeOp struct {
	VolumeID, StagingPath, TargetPath string
	ReadOnly                          bool
}

// Dial connects to a driver's socket.
func Dial(endpoint string) (*grpc.ClientConn, error) {
	path, err := socketPath(endpoint)
	if err != nil {
		return nil, err
	}
	return grpc.NewClient("unix://"+path, grpc.WithTransportCredentials(insecure.NewCredentials()))
}

var mountCapability = &csi.VolumeCapability{
	AccessType: &csi.VolumeCapability_Mount{Mount: &csi.VolumeCapability_MountVolume{}},
	AccessMode: &csi.VolumeCapability_AccessMode{Mode: csi.VolumeCapability_AccessMode_SINGLE_NODE_WRITER},
}

// RunNodeOp plays kubelet for one volume: op is stage, publish, unpublish, unstage, mount (stage + publish) or
// unmount (unpublish + unstage).
func RunNodeOp(ctx context.Context, endpoint, op string, o NodeOp) error {
	conn, err := Dial(endpoint)
	if err != nil {
		return err
	}
	defer conn.Close()
	c := csi.NewNodeClient(conn)
	stage := func() error {
		_, err := c.NodeStageVolume(ctx, &csi.NodeStageVolumeRequest{VolumeId: o.VolumeID, StagingTargetPath: o.StagingPath, VolumeCapability: mountCapability})
		return err
	}
	publish := func() error {
		_, err := c.NodePublishVolume(ctx, &csi.NodePublishVolumeRequest{VolumeId: o.VolumeID, StagingTargetPath: o.StagingPath,
			TargetPath: o.TargetPath, VolumeCapability: mountCapability, Readonly: o.ReadOnly})
		return err
	}
	unpublish := func() error {
		_, err := c.NodeUnpublishVolume(ctx, &csi.NodeUnpublishVolumeRequest{VolumeId: o.VolumeID, TargetPath: o.TargetPath})
		return err
	}
	unstage := func() error {
		_, err := c.NodeUnstageVolume(ctx, &csi.NodeUnstageVolumeRequest{VolumeId: o.VolumeID, StagingTargetPath: o.StagingPath})
		return err
	}
	steps := map[string][]func() error{
		"stage": {stage}, "publish": {publish}, "unpublish": {unpublish}, "unstage": {unstage},
		"mount": {stage, publish}, "unmount": {unpublish, unstage},
	}[op]
	if steps == nil {
		return fmt.Errorf("unknown operation %q", op)
	}
	for _, step := range steps {
		if err := step(); err != nil {
			return err
		}
	}
	return nil
}
