package appleexport

import (
	"archive/zip"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"strings"
)

// Export is an opened export.xml, read from disk or from inside export.zip.
type Export struct {
	io.ReadCloser
	Size int64 // uncompressed length of export.xml in bytes
	// Name is the file read: the path on disk, or the zip's path and the entry's name.
	Name string
}

// Open opens an export on disk: the export.zip the Health app writes (found by its signature, whatever the file
// is called) or a bare export.xml.
func Open(name string) (*Export, error) {
	f, err := os.Open(name)
	if err != nil {
		return nil, fmt.Errorf("open export: %w", err)
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("open export: %w", err)
	}
	var magic [4]byte
	n, _ := io.ReadFull(f, magic[:])
	if n == 4 && bytes.Equal(magic[:], []byte("PK\x03\x04")) {
		e, err := OpenZip(f, st.Size())
		if err != nil {
			f.Close()
			return nil, err
		}
		e.Name = name + ":" + e.Name
		e.ReadCloser = closeBoth{e.ReadCloser, f}
		return e, nil
	}
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		f.Close()
		return nil, fmt.Errorf("open export: %w", err)
	}
	return &Export{ReadCloser: f, Size: st.Size(), Name: name}, nil
}

// OpenZip finds export.xml in an export.zip (apple_health_export/export.xml; localized exports name the folder
// differently, so any top-level folder's export.xml will do). The caller keeps ra open while reading.
func OpenZip(ra io.ReaderAt, size int64) (*Export, error) {
	zr, err := zip.NewReader(ra, size)
	if err != nil {
		return nil, fmt.Errorf("open export.zip: %w", err)
	}
	var found *zip.File
	for _, f := range zr.File {
		if path.Base(f.Name) != "export.xml" || strings.Count(strings.Trim(f.Name, "/"), "/") > 1 {
			continue
		}
		if found == nil || f.Name == "apple_health_export/export.xml" {
			found = f
		}
	}
	if found == nil {
		return nil, errors.New("open export.zip: it holds no export.xml")
	}
	rc, err := found.Open()
	if err != nil {
		return nil, fmt.Errorf("open export.zip: %w", err)
	}
	return &Export{ReadCloser: rc, Size: int64(found.UncompressedSize64), Name: found.Name}, nil
}

type closeBoth struct {
	io.ReadCloser
	outer io.Closer
}

func (c closeBoth) Close() error {
	err := c.ReadCloser.Close()
	if err2 := c.outer.Close(); err == nil {
		err = err2
	}
	return err
}

// ImportFile imports an export as the Health app writes it, read through ra (size bytes): export.zip, whose
// export.xml is streamed and whose electrocardiograms/*.csv follow as ECG recordings, or a bare export.xml. The
// CLI (`healthsync import apple-export`) and the background import jobs both call it, so a file brings the
// same data whichever way it arrives.
func (im *Importer) ImportFile(ctx context.Context, userID int64, ra io.ReaderAt, size int64, progress func(Summary)) (Summary, error) {
	var magic [4]byte
	if n, err := ra.ReadAt(magic[:], 0); n < len(magic) && err != nil && !errors.Is(err, io.EOF) {
		return Summary{}, fmt.Errorf("read the export: %w", err)
	}
	if !bytes.Equal(magic[:], []byte("PK\x03\x04")) {
		return im.Import(ctx, userID, io.NewSectionReader(ra, 0, size), size, progress)
	}
	x, err := OpenZip(ra, size)
	if err != nil {
		return Summary{}, err
	}
	defer x.Close()
	sum, err := im.Import(ctx, userID, x, x.Size, progress)
	if err != nil {
		return sum, err
	}
	if err := im.ImportECGs(ctx, userID, ra, size, &sum); err != nil {
		return sum, err
	}
	if progress != nil {
		progress(sum.clone())
	}
	return sum, nil
}
