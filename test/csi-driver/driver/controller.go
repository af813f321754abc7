package driver

import (
	"context"
	"log"
	"os"
	"sort"
	"strconv"

	"github.com/container-storage-interface/spec/lib/go/csi"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/timestamppb"
)

// defaultCapacity is what a volume reports when the request names no size (the directory has no quota).
const defaultCapacity = 1 << 30

func (d *Driver) topology() []*csi.Topology {
	return []*csi.Topology{{Segments: map[string]string{TopologyKey: d.nodeID}}}
}

func checkCapabilities(caps []*csi.VolumeCapability) error {
	if len(caps) == 0 {
		return status.Error(codes.InvalidArgument, "volume_capabilities is empty")
	}
	for _, c := range caps {
		if c.GetBlock() != nil {
			return status.Error(codes.InvalidArgument, "block volumes are not supported: this driver serves directories (access type mount)")
		}
		if c.GetMount() == nil {
			return status.Error(codes.InvalidArgument, "a volume capability names no access type")
		}
	}
	return nil
}

// reachable is false when the request's topology requirement leaves out this node.
func (d *Driver) reachable(req *csi.TopologyRequirement) bool {
	if req == nil || len(req.GetRequisite()) == 0 {
		return true
	}
	for _, t := range req.GetRequisite() {
		if n, ok := t.GetSegments()[TopologyKey]; ok && n == d.nodeID {
			return true
		}
	}
	return false
}

func (d *Driver) volumeResponse(v *Volume) *csi.CreateVolumeResponse {
	vol := &csi.Volume{VolumeId: v.ID, CapacityBytes: v.CapacityBytes, AccessibleTopology: d.topology()}
	switch {
	case v.FromSnapshot != "":
		vol.ContentSource = &csi.VolumeContentSource{Type: &csi.VolumeContentSource_Snapshot{
			Snapshot: &csi.VolumeContentSource_SnapshotSource{SnapshotId: v.FromSnapshot}}}
	case v.FromVolume != "":
		vol.ContentSource = &csi.VolumeContentSource{Type: &csi.VolumeContentSource_Volume{
			Volume: &csi.VolumeContentSource_VolumeSource{VolumeId: v.FromVolume}}}
	}
	return &csi.CreateVolumeResponse{Volume: vol}
}

func (d *Driver) CreateVolume(_ context.Context, req *csi.CreateVolumeRequest) (*csi.CreateVolumeResponse, error) {
	if req.GetName() == "" {
		return nil, status.Error(codes.InvalidArgument, "name is empty")
	}
	if err := checkCapabilities(req.GetVolumeCapabilities()); err != nil {
		return nil, err
	}
	if !d.reachable(req.GetAccessibilityRequirements()) {
		return nil, status.Errorf(codes.ResourceExhausted, "node %s is not among the requisite topologies", d.nodeID)
	}
	capacity := req.GetCapacityRange().GetRequiredBytes()
	if capacity == 0 {
		capacity = defaultCapacity
	}
	fromSnap := req.GetVolumeContentSource().GetSnapshot().GetSnapshotId()
	fromVol := req.GetVolumeContentSource().GetVolume().GetVolumeId()
	var out *Volume
	err := d.store.Update(func(st *stateFile) error {
		for _, v := range st.Volumes {
			if v.Name != req.GetName() {
				continue
			}
			// Idempotent retry: the same request returns the same volume.
			if v.CapacityBytes < capacity || v.FromSnapshot != fromSnap || v.FromVolume != fromVol {
				return status.Errorf(codes.AlreadyExists, "volume %q exists with another size or content source", v.Name)
			}
			out = v
			return nil
		}
		v := &Volume{ID: newID("vol-"), Name: req.GetName(), CapacityBytes: capacity, FromSnapshot: fromSnap, FromVolume: fromVol}
		dir := d.store.VolumeDir(v.ID)
		if err := os.Mkdir(dir, 0o777); err != nil {
			return status.Errorf(codes.Internal, "creating %s: %v", dir, err)
		}
		// Mkdir applies the umask: set the mode the empty volume should have explicitly.
		if err := os.Chmod(dir, 0o777); err != nil {
			return status.Errorf(codes.Internal, "chmod %s: %v", dir, err)
		}
		var err error
		switch {
		case fromSnap != "":
			if _, ok := st.Snapshots[fromSnap]; !ok {
				err = status.Errorf(codes.NotFound, "snapshot %s does not exist on node %s", fromSnap, d.nodeID)
			} else if stats, e := CloneTree(d.store.SnapshotFile(fromSnap), dir); e != nil {
				err = status.Errorf(codes.Internal, "restoring snapshot %s: %v", fromSnap, e)
			} else {
				log.Printf("volume %s from snapshot %s: %s", v.ID, fromSnap, stats.Describe())
			}
		case fromVol != "":
			if _, ok := st.Volumes[fromVol]; !ok {
				err = status.Errorf(codes.NotFound, "volume %s does not exist on node %s", fromVol, d.nodeID)
			} else if stats, e := CloneTree(d.store.VolumeDir(fromVol), dir); e != nil {
				err = status.Errorf(codes.Internal, "cloning volume %s: %v", fromVol, e)
			} else {
				log.Printf("volume %s from volume %s: %s", v.ID, fromVol, stats.Describe())
			}
		}
		if err != nil {
			_ = os.RemoveAll(dir)
			return err
		}
		st.Volumes[v.ID] = v
		out = v
		return nil
	})
	if err != nil {
		return nil, err
	}
	return d.volumeResponse(out), nil
}

func (d *Driver) DeleteVolume(_ context.Context, req *csi.DeleteVolumeRequest) (*csi.DeleteVolumeResponse, error) {
	id := req.GetVolumeId()
	if id == "" {
		return nil, status.Error(codes.InvalidArgument, "volume_id is empty")
	}
	err := d.store.Update(func(st *stateFile) error {
		v, ok := st.Volumes[id]
		if !ok {
			return nil // already gone: DeleteVolume is idempotent
		}
		if len(v.Published) > 0 || v.StagingPath != "" {
			return status.Errorf(codes.FailedPrecondition, "volume %s is still staged or published on node %s", id, d.nodeID)
		}
		if err := os.RemoveAll(d.store.VolumeDir(id)); err != nil {
			return status.Errorf(codes.Internal, "removing volume %s: %v", id, err)
		}
		delete(st.Volumes, id)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &csi.DeleteVolumeResponse{}, nil
}

func (d *Driver) ValidateVolumeCapabilities(_ context.Context, req *csi.ValidateVolumeCapabilitiesRequest) (*csi.ValidateVolumeCapabilitiesResponse, error) {
	var found bool
	d.store.View(func(st *stateFile) { _, found = st.Volumes[req.GetVolumeId()] })
	if !found {
		return nil, status.Errorf(codes.NotFound, "volume %s does not exist on node %s", req.GetVolumeId(), d.nodeID)
	}
	if err := checkCapabilities(req.GetVolumeCapabilities()); err != nil {
		return &csi.ValidateVolumeCapabilitiesResponse{Message: err.Error()}, nil
	}
	return &csi.ValidateVolumeCapabilitiesResponse{Confirmed: &csi.ValidateVolumeCapabilitiesResponse_Confirmed{
		VolumeCapabilities: req.GetVolumeCapabilities()}}, nil
}

func (d *Driver) ControllerGetCapabilities(context.Context, *csi.ControllerGetCapabilitiesRequest) (*csi.ControllerGetCapabilitiesResponse, error) {
	var caps []*csi.ControllerServiceCapability
	for _, t := range []csi.ControllerServiceCapability_RPC_Type{
		csi.ControllerServiceCapability_RPC_CREATE_DELETE_VOLUME,
		csi.ControllerServiceCapability_RPC_CREATE_DELETE_SNAPSHOT,
		csi.ControllerServiceCapability_RPC_LIST_SNAPSHOTS,
		csi.ControllerServiceCapability_RPC_CLONE_VOLUME,
	} {
		caps = append(caps, &csi.ControllerServiceCapability{Type: &csi.ControllerServiceCapability_Rpc{
			Rpc: &csi.ControllerServiceCapability_RPC{Type: t}}})
	}
	return &csi.ControllerGetCapabilitiesResponse{Capabilities: caps}, nil
}

func snapshotMessage(s *Snapshot) *csi.Snapshot {
	return &csi.Snapshot{SnapshotId: s.ID, SourceVolumeId: s.SourceVolume, SizeBytes: s.SizeBytes,
		CreationTime: timestamppb.New(s.Created), ReadyToUse: true}
}

// CreateSnapshot keeps the volume's tree as it is now, each file cloned copy-on-write where the filesystem can
// (CloneTree): later writes to the volume are not in the snapshot.
func (d *Driver) CreateSnapshot(_ context.Context, req *csi.CreateSnapshotRequest) (*csi.CreateSnapshotResponse, error) {
	if req.GetName() == "" {
		return nil, status.Error(codes.InvalidArgument, "name is empty")
	}
	src := req.GetSourceVolumeId()
	if src == "" {
		return nil, status.Error(codes.InvalidArgument, "source_volume_id is empty")
	}
	var out *Snapshot
	err := d.store.Update(func(st *stateFile) error {
		for _, s := range st.Snapshots {
			if s.Name == req.GetName() {
				if s.SourceVolume != src {
					return status.Errorf(codes.AlreadyExists, "snapshot %q exists for another volume (%s)", s.Name, s.SourceVolume)
				}
				out = s
				return nil
			}
		}
		if _, ok := st.Volumes[src]; !ok {
			return status.Errorf(codes.NotFound, "volume %s does not exist on node %s", src, d.nodeID)
		}
		s := &Snapshot{ID: newID("snap-"), Name: req.GetName(), SourceVolume: src}
		stats, err := d.store.WriteSnapshot(s.ID, d.store.VolumeDir(src))
		if err != nil {
			return status.Errorf(codes.Internal, "snapshotting volume %s: %v", src, err)
		}
		log.Printf("snapshot %s of volume %s: %s", s.ID, src, stats.Describe())
		s.SizeBytes = stats.Bytes
		s.Created = timeNow()
		st.Snapshots[s.ID] = s
		out = s
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &csi.CreateSnapshotResponse{Snapshot: snapshotMessage(out)}, nil
}

func (d *Driver) DeleteSnapshot(_ context.Context, req *csi.DeleteSnapshotRequest) (*csi.DeleteSnapshotResponse, error) {
	id := req.GetSnapshotId()
	if id == "" {
		return nil, status.Error(codes.InvalidArgument, "snapshot_id is empty")
	}
	err := d.store.Update(func(st *stateFile) error {
		if err := os.RemoveAll(d.store.SnapshotFile(id)); err != nil {
			return status.Errorf(codes.Internal, "removing snapshot %s: %v", id, err)
		}
		delete(st.Snapshots, id)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &csi.DeleteSnapshotResponse{}, nil
}

// ListSnapshots lists by snapshot id or source volume (or all), in id order, paged by starting_token (the index
// of the first entry) and max_entries.
func (d *Driver) ListSnapshots(_ context.Context, req *csi.ListSnapshotsRequest) (*csi.ListSnapshotsResponse, error) {
	var all []*Snapshot
	d.store.View(func(st *stateFile) {
		for _, s := range st.Snapshots {
			if req.GetSnapshotId() != "" && s.ID != req.GetSnapshotId() {
				continue
			}
			if req.GetSourceVolumeId() != "" && s.SourceVolume != req.GetSourceVolumeId() {
				continue
			}
			c := *s
			all = append(all, &c)
		}
	})
	sort.Slice(all, func(i, j int) bool { return all[i].ID < all[j].ID })
	start := 0
	if tok := req.GetStartingToken(); tok != "" {
		n, err := strconv.Atoi(tok)
		if err != nil || n < 0 || n > len(all) {
			return nil, status.Errorf(codes.Aborted, "starting_token %q is not valid", tok)
		}
		start = n
	}
	end := len(all)
	if m := int(req.GetMaxEntries()); m > 0 && start+m < end {
		end = start + m
	}
	resp := &csi.ListSnapshotsResponse{}
	for _, s := range all[start:end] {
		resp.Entries = append(resp.Entries, &csi.ListSnapshotsResponse_Entry{Snapshot: snapshotMessage(s)})
	}
	if end < len(all) {
		resp.NextToken = strconv.Itoa(end)
	}
	return resp, nil
}
