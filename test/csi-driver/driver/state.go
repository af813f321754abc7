// Package driver is the project's own CSI driver for tests: volumes are directories, a snapshot is a copy of a
// volume's tree taken at snapshot time whose files share their data with the volume copy-on-write where the
// filesystem can (XFS with reflink, btrfs: the test environment puts the driver's data on such a filesystem),
// and the bookkeeping lives in state.json so a restarted driver keeps its volumes and snapshots
// (../shared testenv.md §11).
package driver

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sync"
	"time"
)

// Volume is one provisioned volume: the directory <stateDir>/<ID>.
type Volume struct {
	ID            string `json:"id"`
	Name          string `json:"name"`
	CapacityBytes int64  `json:"capacityBytes"`
	// FromSnapshot / FromVolume: the content source it was created from, if any.
	FromSnapshot string    `json:"fromSnapshot,omitempty"`
	FromVolume   string    `json:"fromVolume,omitempty"`
	Created      time.Time `json:"created"`
	// StagingPath is where the volume is staged on this node ("" when not staged).
	StagingPath string `json:"stagingPath,omitempty"`
	// Published maps each publish target to whether it is mounted read-only.
	Published map[string]bool `json:"published,omitempty"`
}

// Snapshot is one snapshot: the directory <stateDir>/<ID>.snap.
type Snapshot struct {
	ID           string    `json:"id"`
	Name         string    `json:"name"`
	SourceVolume string    `json:"sourceVolume"`
	SizeBytes    int64     `json:"sizeBytes"`
	Created      time.Time `json:"created"`
}

type stateFile struct {
	Volumes   map[string]*Volume   `json:"volumes"`
	Snapshots map[string]*Snapshot `json:"snapshots"`
}

// Store is the on-disk model. Every method holds the lock for its whole run, so RPCs are serialised: simple and
// enough for a test driver.
type Store struct {
	dir string
	mu  sync.Mutex
	st  stateFile
}

// OpenStore loads <dir>/state.json, or starts empty when there is none.
func OpenStore(dir string) (*Store, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	s := &Store{dir: dir, st: stateFile{Volumes: map[string]*Volume{}, Snapshots: map[string]*Snapshot{}}}
	data, err := os.ReadFile(s.statePath())
	if errors.Is(err, fs.ErrNotExist) {
		return s, nil
	}
	if err != nil {
		return nil, err
	}
	if err := json.Unmarshal(data, &s.st); err != nil {
		return nil, fmt.Errorf("%s: %w", s.statePath(), err)
	}
	if s.st.Volumes == nil {
		s.st.Volumes = map[string]*Volume{}
	}
	if s.st.Snapshots == nil {
		s.st.Snapshots = map[string]*Snapshot{}
	}
	return s, nil
}

func (s *Store) statePath() string { return filepath.Join(s.dir, "state.json") }

// VolumeDir is the directory holding a volume's files.
func (s *Store) VolumeDir(id string) string { return filepath.Join(s.dir, id) }

// SnapshotFile is the directory holding a snapshot's tree.
func (s *Store) SnapshotFile(id string) string { return filepath.Join(s.dir, id+".snap") }

// WriteSnapshot copies the tree under root into snapshot id's directory (CloneTree), through a temporary
// directory renamed when complete, so a crash never leaves half a snapshot under the snapshot's name.
func (s *Store) WriteSnapshot(id, root string) (CloneStats, error) {
	final := s.SnapshotFile(id)
	tmp := final + ".tmp"
	if err := os.RemoveAll(tmp); err != nil {
		return CloneStats{}, err
	}
	if err := os.Mkdir(tmp, 0o700); err != nil {
		return CloneStats{}, err
	}
	stats, err := CloneTree(root, tmp)
	if err == nil {
		err = os.Rename(tmp, final)
	}
	if err != nil {
		_ = os.RemoveAll(tmp)
		return CloneStats{}, err
	}
	return stats, nil
}

// save writes state.json atomically (temporary file, then rename), so a crash never leaves half a file.
func (s *Store) save() error {
	data, err := json.MarshalIndent(&s.st, "", "  ")
	if err != nil {
		return err
	}
	tmp := s.statePath() + ".tmp"
	if err := os.WriteFile(tmp, data, 0o644); err != nil {
		return err
	}
	return os.Rename(tmp, s.statePath())
}

// Update runs fn under the lock and saves the state when fn succeeds.
func (s *Store) Update(fn func(st *stateFile) error) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := fn(&s.st); err != nil {
		return err
	}
	return s.save()
}

// View runs fn under the lock without saving.
func (s *Store) View(fn func(st *stateFile)) {
	s.mu.Lock()
	defer s.mu.Unlock()
	fn(&s.st)
}

// timeNow is the clock snapshots are stamped with (a variable so tests can fix it).
var timeNow = time.Now

func newID(prefix string) string {
	b := make([]byte, 8)
	if _, err := rand.Read(b); err != nil {
		panic(err)
	}
	return prefix + hex.EncodeToString(b)
}
