package driver

import (
	"context"

	"github.com/container-storage-interface/spec/lib/go/csi"
	"google.golang.org/protobuf/types/known/wrapperspb"
)

const (
	// DriverName is the CSI driver name every object of the test stack refers to (CSI-CONTRACT.md).
	DriverName = "hostpath.csi.skiff.dev"
	// TopologyKey carries the node a volume lives on.
	TopologyKey = "topology.hostpath.csi.skiff.dev/node"
	// Version is reported by GetPluginInfo.
	Version = "0.1.0"
)

// Driver serves the CSI Identity, Controller and Node services of one node.
type Driver struct {
	csi.UnimplementedIdentityServer
	csi.UnimplementedControllerServer
	csi.UnimplementedNodeServer
	store  *Store
	nodeID string
	mounts Mounter
}

// New returns a driver for node nodeID keeping its data in store.
func New(store *Store, nodeID string, mounts Mounter) *Driver {
	return &Driver{store: store, nodeID: nodeID, mounts: mounts}
}

func (d *Driver) GetPluginInfo(context.Context, *csi.GetPluginInfoRequest) (*csi.GetPluginInfoResponse, error) {
	return &csi.GetPluginInfoResponse{Name: DriverName, VendorVersion: Version}, nil
}

func (d *Driver) GetPluginCapabilities(context.Context, *csi.GetPluginCapabilitiesRequest) (*csi.GetPluginCapabilitiesResponse, error) {
	svc := func(t csi.PluginCapability_Service_Type) *csi.PluginCapability {
		return &csi.PluginCapability{Type: &csi.PluginCapability_Service_{Service: &csi.PluginCapability_Service{Type: t}}}
	}
	return &csi.GetPluginCapabilitiesResponse{Capabilities: []*csi.PluginCapability{
		svc(csi.PluginCapability_Service_CONTROLLER_SERVICE),
		svc(csi.PluginCapability_Service_VOLUME_ACCESSIBILITY_CONSTRAINTS),
	}}, nil
}

func (d *Driver) Probe(context.Context, *csi.ProbeRequest) (*csi.ProbeResponse, error) {
	return &csi.ProbeResponse{Ready: wrapperspb.Bool(true)}, nil
}
