package driver

import (
	"context"
	"os"

	"github.com/container-storage-interface/spec/lib/go/csi"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

func (d *Driver) NodeGetInfo(context.Context, *csi.NodeGetInfoRequest) (*csi.NodeGetInfoResponse, error) {
	return &csi.NodeGetInfoResponse{NodeId: d.nodeID, AccessibleTopology: d.topology()[0]}, nil
}

func (d *Driver) NodeGetCapabilities(context.Context, *csi.NodeGetCapabilitiesRequest) (*csi.NodeGetCapabilitiesResponse, error) {
	return &csi.NodeGetCapabilitiesResponse{Capabilities: []*csi.NodeServiceCapability{{
		Type: &csi.NodeServiceCapability_Rpc{Rpc: &csi.NodeServiceCapability_RPC{Type: csi.NodeServiceCapability_RPC_STAGE_UNSTAGE_VOLUME}},
	}}}, nil
}

// ensureMount bind-mounts source at target (creating target), unless target is already a mount point.
func (d *Driver) ensureMount(source, target string, readOnly bool) error {
	if err := os.MkdirAll(target, 0o750); err != nil {
		return status.Errorf(codes.Internal, "creating %s: %v", target, err)
	}
	mounted, err := d.mounts.IsMountPoint(target)
	if err != nil {
		return status.Errorf(codes.Internal, "checking %s: %v", target, err)
	}
	if mounted {
		return nil
	}
	if err := d.mounts.BindMount(source, target, readOnly); err != nil {
		return status.Errorf(codes.Internal, "mounting %s at %s: %v", source, target, err)
	}
	return nil
}

// ensureUnmounted unmounts target if it is a mount point and removes the (then empty) directory.
func (d *Driver) ensureUnmounted(target string) error {
	mounted, err := d.mounts.IsMountPoint(target)
	if err != nil {
		return status.Errorf(codes.Internal, "checking %s: %v", target, err)
	}
	if mounted {
		if err := d.mounts.Unmount(target); err != nil {
			return status.Errorf(codes.Internal, "unmounting %s: %v", target, err)
		}
	}
	if err := os.Remove(target); err != nil && !os.IsNotExist(err) {
		return status.Errorf(codes.Internal, "removing %s: %v", target, err)
	}
	return nil
}

// NodeStageVolume bind-mounts the volume's directory at the staging path (kubelet's global mount).
func (d *Driver) NodeStageVolume(_ context.Context, req *csi.NodeStageVolumeRequest) (*csi.NodeStageVolumeResponse, error) {
	id, staging := req.GetVolumeId(), req.GetStagingTargetPath()
	if id == "" || staging == "" {
		return nil, status.Error(codes.InvalidArgument, "volume_id and staging_target_path are required")
	}
	if req.GetVolumeCapability() == nil {
		return nil, status.Error(codes.InvalidArgument, "volume_capability is required")
	}
	if err := checkCapabilities([]*csi.VolumeCapability{req.GetVolumeCapability()}); err != nil {
		return nil, err
	}
	err := d.store.Update(func(st *stateFile) error {
		v, ok := st.Volumes[id]
		if !ok {
			return status.Errorf(codes.NotFound, "volume %s does not exist on node %s", id, d.nodeID)
		}
		if v.StagingPath != "" && v.StagingPath != staging {
			return status.Errorf(codes.FailedPrecondition, "volume %s is already staged at %s", id, v.StagingPath)
		}
		if err := d.ensureMount(d.store.VolumeDir(id), staging, false); err != nil {
			return err
		}
		v.StagingPath = staging
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &csi.NodeStageVolumeResponse{}, nil
}

func (d *Driver) NodeUnstageVolume(_ context.Context, req *csi.NodeUnstageVolumeRequest) (*csi.NodeUnstageVolumeResponse, error) {
	id, staging := req.GetVolumeId(), req.GetStagingTargetPath()
	if id == "" || staging == "" {
		return nil, status.Error(codes.InvalidArgument, "volume_id and staging_target_path are required")
	}
	err := d.store.Update(func(st *stateFile) error {
		v, ok := st.Volumes[id]
		if ok && len(v.Published) > 0 {
			return status.Errorf(codes.FailedPrecondition, "volume %s is still published", id)
		}
		if err := d.ensureUnmounted(staging); err != nil {
			return err
		}
		if ok {
			v.StagingPath = ""
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &csi.NodeUnstageVolumeResponse{}, nil
}

// NodePublishVolume bind-mounts the staged volume at the pod's target path (read-only when asked).
func (d *Driver) NodePublishVolume(_ context.Context, req *csi.NodePublishVolumeRequest) (*csi.NodePublishVolumeResponse, error) {
	id, staging, target := req.GetVolumeId(), req.GetStagingTargetPath(), req.GetTargetPath()
	if id == "" || target == "" {
		return nil, status.Error(codes.InvalidArgument, "volume_id and target_path are required")
	}
	if staging == "" {
		return nil, status.Error(codes.FailedPrecondition, "staging_target_path is required: this driver stages volumes first")
	}
	if req.GetVolumeCapability() == nil {
		return nil, status.Error(codes.InvalidArgument, "volume_capability is required")
	}
	if err := checkCapabilities([]*csi.VolumeCapability{req.GetVolumeCapability()}); err != nil {
		return nil, err
	}
	err := d.store.Update(func(st *stateFile) error {
		v, ok := st.Volumes[id]
		if !ok {
			return status.Errorf(codes.NotFound, "volume %s does not exist on node %s", id, d.nodeID)
		}
		if v.StagingPath != staging {
			return status.Errorf(codes.FailedPrecondition, "volume %s is not staged at %s", id, staging)
		}
		if ro, published := v.Published[target]; published && ro != req.GetReadonly() {
			return status.Errorf(codes.AlreadyExists, "volume %s is already published at %s with readonly=%v", id, target, ro)
		}
		if err := d.ensureMount(staging, target, req.GetReadonly()); err != nil {
			return err
		}
		if v.Published == nil {
			v.Published = map[string]bool{}
		}
		v.Published[target] = req.GetReadonly()
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &csi.NodePublishVolumeResponse{}, nil
}

func (d *Driver) NodeUnpublishVolume(_ context.Context, req *csi.NodeUnpublishVolumeRequest) (*csi.NodeUnpublishVolumeResponse, error) {
	id, target := req.GetVolumeId(), req.GetTargetPath()
	if id == "" || target == "" {
		return nil, status.Error(codes.InvalidArgument, "volume_id and target_path are required")
	}
	err := d.store.Update(func(st *stateFile) error {
		if err := d.ensureUnmounted(target); err != nil {
			return err
		}
		if v, ok := st.Volumes[id]; ok {
			delete(v.Published, target)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &csi.NodeUnpublishVolumeResponse{}, nil
}
