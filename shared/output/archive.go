package output

import (
	"archive/tar"

	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/klauspost/compress/gzip"
)

// Names of what a finished job writes beside each other under its output location.
const (
	// ArchiveName is the output archive's file name (Comprehend's).
	ArchiveName = "output.tar.gz"
	// EntryName is the archive entry holding the result lines (Comprehend's).
	EntryName = "output"
	// ManifestName is the manifest's file name.
	ManifestName = "manifest.json"
)

// ErrCorrupt marks an archive entry whose content does not match its announced size.
var ErrCorrupt = errors.New("corrupt shard result")

// Entry is an archive entry written by WriteEntries (a topic model's CSV files).
type Entry struct {
	Name string
	// Size is the exact number of bytes Open's reader yields; a mismatch is an error.
	Size int64
	Open func(ctx context.Context) (io.ReadCloser, error)
}

// archiveModTime is the modification time of every entry: fixed, so that the archive is a pure
// function of its inputs and a retried finalisation writes the same bytes.
var archiveModTime = time.Unix(0, 0).UTC()

// closeArchive writes the entries after what tw holds already, then closes the tar and the gzip.
func closeArchive(ctx context.Context, tw *tar.Writer, gz *gzip.Writer, entries []Entry) error {
	for _, e := range entries {
		if err := ctx.Err(); err != nil {
			return err
		}
		if err := writeEntry(ctx, tw, e); err != nil {
			return fmt.Errorf("output: entry %q: %w", e.Name, err)
		}
	}
	if err := tw.Close(); err != nil {
		return fmt.Errorf("output: close tar: %w", err)
	}
	if err := gz.Close(); err != nil {
		return fmt.Errorf("output: close gzip: %w", err)
	}
	return nil
}

// WriteEntries streams a gzip-compressed tar of entries only, in order (archives without an
// "output" entry: a topic model's CSV files). Each entry's content must be exactly its Size.
func WriteEntries(ctx context.Context, w io.Writer, entries ...Entry) error {
	names := map[string]bool{}
	for _, e := range entries {
		if e.Name == "" || names[e.Name] || e.Size < 0 || e.Open == nil {
			return fmt.Errorf("output: bad entry %q (empty or duplicate name, negative size or no opener)", e.Name)
		}
		names[e.Name] = true
	}
	gz, err := gzip.NewWriterLevel(w, compressionLevel)
	if err != nil {
		return err
	}
	return closeArchive(ctx, tar.NewWriter(gz), gz, entries)
}

func header(name string, size int64) *tar.Header {
	return &tar.Header{
		Typeflag: tar.TypeReg,
		Name:     name,
		Mode:     0o644,
		Size:     size,
		ModTime:  archiveModTime,
	}
}

// writeEntry writes one extra entry, verifying its size.
func writeEntry(ctx context.Context, tw *tar.Writer, e Entry) error {
	if err := tw.WriteHeader(header(e.Name, e.Size)); err != nil {
		return fmt.Errorf("write header: %w", err)
	}
	rc, err := e.Open(ctx)
	if err != nil {
		return fmt.Errorf("open: %w", err)
	}
	defer rc.Close()
	n, err := io.Copy(tw, io.LimitReader(rc, e.Size))
	if err != nil {
		return fmt.Errorf("copy: %w", err)
	}
	if n != e.Size {
		return fmt.Errorf("%w: read %d bytes, size is %d", ErrCorrupt, n, e.Size)
	}
	var one [1]byte
	if m, _ := io.ReadFull(rc, one[:]); m > 0 {
		return fmt.Errorf("%w: longer than its size %d", ErrCorrupt, e.Size)
	}
	return nil
}
