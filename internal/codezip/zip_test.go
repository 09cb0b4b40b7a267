package codezip

import (
	"archive/zip"
	"bytes"
	"compress/flate"
	"hash/crc32"
	"io/fs"
	"strings"
	"testing"
)

// entry describes one zip entry for buildZip.
type entry struct {
	name string
	body string
	// mode, when non-zero, is recorded as a unix mode (fs.ModeSymlink makes
	// body the link target). Zero records no unix mode, like zips made on
	// Windows.
	mode fs.FileMode
	// claimSize, when non-zero, is written to the header as the uncompressed
	// size instead of the real one, as a zip bomb would.
	claimSize uint64
}

// buildZip returns a zip archive of entries.
func buildZip(tb testing.TB, entries ...entry) []byte {
	tb.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, e := range entries {
		fh := &zip.FileHeader{Name: e.name, Method: zip.Deflate}
		if e.mode != 0 {
			fh.SetMode(e.mode)
		}
		if e.claimSize != 0 {
			writeRaw(tb, zw, fh, []byte(e.body), e.claimSize)
			continue
		}
		w, err := zw.CreateHeader(fh)
		if err != nil {
			tb.Fatal(err)
		}
		if _, err := w.Write([]byte(e.body)); err != nil {
			tb.Fatal(err)
		}
	}
	if err := zw.Close(); err != nil {
		tb.Fatal(err)
	}
	return buf.Bytes()
}

// writeRaw adds body deflated, with a header claiming claimSize bytes.
func writeRaw(tb testing.TB, zw *zip.Writer, fh *zip.FileHeader, body []byte, claimSize uint64) {
	tb.Helper()
	var c bytes.Buffer
	fw, err := flate.NewWriter(&c, flate.BestCompression)
	if err != nil {
		tb.Fatal(err)
	}
	if _, err := fw.Write(body); err != nil {
		tb.Fatal(err)
	}
	if err := fw.Close(); err != nil {
		tb.Fatal(err)
	}
	fh.CRC32 = crc32.ChecksumIEEE(body)
	fh.CompressedSize64 = uint64(c.Len())
	fh.UncompressedSize64 = claimSize
	w, err := zw.CreateRaw(fh)
	if err != nil {
		tb.Fatal(err)
	}
	if _, err := w.Write(c.Bytes()); err != nil {
		tb.Fatal(err)
	}
}

// storedWithBadCRC returns a zip with one stored entry whose data was
// changed after its checksum was computed.
func storedWithBadCRC(tb testing.TB) []byte {
	tb.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	w, err := zw.CreateHeader(&zip.FileHeader{Name: "f.txt", Method: zip.Store})
	if err != nil {
		tb.Fatal(err)
	}
	if _, err := w.Write([]byte("HELLO-CHECKSUM")); err != nil {
		tb.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		tb.Fatal(err)
	}
	data := buf.Bytes()
	i := bytes.Index(data, []byte("HELLO-CHECKSUM"))
	data[i] = 'J'
	return data
}

// zeros returns n zero bytes as a string: a body that deflates ~1000:1.
func zeros(n int) string { return strings.Repeat("\x00", n) }
