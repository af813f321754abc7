// Command skiff-csi-driver is the project's CSI driver for tests (driver name hostpath.csi.skiff.dev).
//
//	skiff-csi-driver serve --endpoint unix:///run/csi.sock --node-id kwok-node-0 --state-dir /var/lib/skiff-csi
//
// It also plays kubelet's part for one volume, over a running driver's socket (the test harness uses it):
//
//	skiff-csi-driver stage     --endpoint E --volume-id V --staging-path S
//	skiff-csi-driver publish   --endpoint E --volume-id V --staging-path S --target-path T [--readonly]
//	skiff-csi-driver unpublish --endpoint E --volume-id V --target-path T
//	skiff-csi-driver unstage   --endpoint E --volume-id V --staging-path S
//	skiff-csi-driver mount     (stage, then publish; same flags as publish)
//	skiff-csi-driver unmount   (unpublish, then unstage; same flags as publish)
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"time"

	"skiff.dev/test/csi-driver/driver"
)

func usage() {
	fmt.Fprintln(os.Stderr, "usage: skiff-csi-driver serve|stage|publish|unpublish|unstage|mount|unmount [flags] (-h for a command's flags)")
	os.Exit(2)
}

func main() {
	if len(os.Args) < 2 {
		usage()
	}
	cmd := os.Args[1]
	fs := flag.NewFlagSet(cmd, flag.ExitOnError)
	endpoint := fs.String("endpoint", "", "the driver's gRPC endpoint, unix:///path/to/csi.sock")
	switch cmd {
	case "serve":
		nodeID := fs.String("node-id", "", "this node's name (NodeGetInfo and the volumes' topology)")
		stateDir := fs.String("state-dir", "", "where volumes, snapshots and state.json live")
		_ = fs.Parse(os.Args[2:])
		if *endpoint == "" || *nodeID == "" || *stateDir == "" {
			fmt.Fprintln(os.Stderr, "serve needs --endpoint, --node-id and --state-dir")
			os.Exit(2)
		}
		if err := driver.Serve(*endpoint, *nodeID, *stateDir); err != nil {
			fmt.Fprintln(os.Stderr, "skiff-csi-driver:", err)
			os.Exit(1)
		}
	case "stage", "publish", "unpublish", "unstage", "mount", "unmount":
		var op driver.NodeOp
		fs.StringVar(&op.VolumeID, "volume-id", "", "the volume handle (PV spec.csi.volumeHandle)")
		fs.StringVar(&op.StagingPath, "staging-path", "", "kubelet's global mount path for the volume")
		fs.StringVar(&op.TargetPath, "target-path", "", "the pod's mount path for the volume")
		fs.BoolVar(&op.ReadOnly, "readonly", false, "publish read-only")
		timeout := fs.Duration("timeout", 60*time.Second, "give up after this long")
		_ = fs.Parse(os.Args[2:])
		if *endpoint == "" || op.VolumeID == "" {
			fmt.Fprintf(os.Stderr, "%s needs --endpoint and --volume-id\n", cmd)
			os.Exit(2)
		}
		ctx, cancel := context.WithTimeout(context.Background(), *timeout)
		defer cancel()
		if err := driver.RunNodeOp(ctx, *endpoint, cmd, op); err != nil {
			fmt.Fprintf(os.Stderr, "skiff-csi-driver %s: %v\n", cmd, err)
			os.Exit(1)
		}
	default:
		usage()
	}
}
