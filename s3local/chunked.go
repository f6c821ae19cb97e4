package s3local

import (
	"bufio"
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"hash"
	"io"
	"net/http"
	"strconv"
	"strings"
)

// chunkedReader decodes an aws-chunked request body:
//
//	hex-size[;chunk-signature=sig]\r\n data \r\n ... 0[;chunk-signature=sig]\r\n
//	[trailer-name:value\r\n ...][x-amz-trailer-signature:sig\r\n]\r\n
//
// and, when verify is set, checks the chunk and trailer signatures.
type chunkedReader struct {
	br       *bufio.Reader
	left     int64 // bytes left in the current chunk
	inChunk  bool
	done     bool
	err      error
	trailers http.Header

	verify        *authInfo // nil: signatures are not checked
	trailerSigned bool      // the trailer carries x-amz-trailer-signature
	prevSig       string
	chunkSig      string
	hash          hash.Hash
}

// maxChunkLine bounds a chunk header or trailer line.
const maxChunkLine = 4096

func newChunkedReader(r io.Reader, verify *authInfo, trailerSigned bool) *chunkedReader {
	c := &chunkedReader{br: bufio.NewReaderSize(r, 64<<10), trailers: make(http.Header), verify: verify, trailerSigned: trailerSigned}
	if verify != nil {
		c.prevSig = verify.seed
		c.hash = sha256.New()
	}
	return c
}

func malformedChunk(msg string) *Error {
	return newError("InvalidRequest", "Malformed aws-chunked body: "+msg)
}

func (c *chunkedReader) Read(p []byte) (int, error) {
	for {
		if c.err != nil {
			return 0, c.err
		}
		if c.done {
			return 0, io.EOF
		}
		if c.inChunk {
			if c.left == 0 {
				if err := c.endChunk(); err != nil {
					c.err = err
				}
				continue
			}
			if len(p) == 0 {
				return 0, nil
			}
			if int64(len(p)) > c.left {
				p = p[:c.left]
			}
			n, err := c.br.Read(p)
			c.left -= int64(n)
			if c.hash != nil {
				c.hash.Write(p[:n])
			}
			if err == io.EOF {
				err = io.ErrUnexpectedEOF
			}
			if err != nil {
				c.err = err
			}
			if n > 0 {
				return n, nil
			}
			continue
		}
		if err := c.startChunk(); err != nil {
			c.err = err
		}
	}
}

// readLine reads one CRLF-terminated line, without its terminator.
func (c *chunkedReader) readLine() (string, error) {
	line, err := c.br.ReadSlice('\n')
	if err == bufio.ErrBufferFull || len(line) > maxChunkLine {
		return "", malformedChunk("line too long")
	}
	if err == io.EOF {
		if len(line) == 0 {
			return "", io.EOF
		}
		return "", io.ErrUnexpectedEOF
	}
	if err != nil {
		return "", err
	}
	s := strings.TrimSuffix(strings.TrimSuffix(string(line), "\n"), "\r")
	return s, nil
}

func (c *chunkedReader) startChunk() error {
	line, err := c.readLine()
	if err == io.EOF {
		return io.ErrUnexpectedEOF
	}
	if err != nil {
		return err
	}
	sizeStr, ext, _ := strings.Cut(line, ";")
	size, perr := strconv.ParseInt(strings.TrimSpace(sizeStr), 16, 64)
	if perr != nil || size < 0 {
		return malformedChunk("bad chunk size " + strconv.Quote(sizeStr))
	}
	c.chunkSig = ""
	if sig, ok := strings.CutPrefix(strings.TrimSpace(ext), "chunk-signature="); ok {
		c.chunkSig = sig
	}
	if c.verify != nil {
		c.hash.Reset()
	}
	if size == 0 {
		if err := c.checkChunkSig(); err != nil {
			return err
		}
		if err := c.readTrailers(); err != nil {
			return err
		}
		c.done = true
		return nil
	}
	c.left, c.inChunk = size, true
	return nil
}

// endChunk consumes the CRLF after a chunk's data and checks its signature.
func (c *chunkedReader) endChunk() error {
	var crlf [2]byte
	if _, err := io.ReadFull(c.br, crlf[:]); err != nil {
		if err == io.EOF {
			err = io.ErrUnexpectedEOF
		}
		return err
	}
	if crlf != [2]byte{'\r', '\n'} {
		return malformedChunk("chunk data not followed by CRLF")
	}
	c.inChunk = false
	return c.checkChunkSig()
}

// checkChunkSig verifies the signature of the chunk just read.
func (c *chunkedReader) checkChunkSig() error {
	if c.verify == nil {
		return nil
	}
	sts := "AWS4-HMAC-SHA256-PAYLOAD\n" + c.verify.amzDate + "\n" + c.verify.scope + "\n" +
		c.prevSig + "\n" + emptySHA256 + "\n" + hex.EncodeToString(c.hash.Sum(nil))
	want := hex.EncodeToString(hmacSHA256(c.verify.signingKey, sts))
	if !hmac.Equal([]byte(want), []byte(c.chunkSig)) {
		return newError("SignatureDoesNotMatch", "").with("StringToSign", sts).with("SignatureProvided", c.chunkSig)
	}
	c.prevSig = want
	return nil
}

// readTrailers reads the trailer section up to the empty line (or the end of
// the body) and checks the trailer signature when verifying.
func (c *chunkedReader) readTrailers() error {
	var signed bytes.Buffer
	trailerSig := ""
	for {
		line, err := c.readLine()
		if err == io.EOF || (err == nil && line == "") {
			break
		}
		if err != nil {
			return err
		}
		name, value, ok := strings.Cut(line, ":")
		if !ok {
			return malformedChunk("bad trailer line")
		}
		name, value = strings.ToLower(strings.TrimSpace(name)), strings.TrimSpace(value)
		if name == "x-amz-trailer-signature" {
			trailerSig = value
			continue
		}
		c.trailers.Add(name, value)
		signed.WriteString(name + ":" + value + "\n")
	}
	if c.verify != nil && c.trailerSigned {
		sum := sha256.Sum256(signed.Bytes())
		sts := "AWS4-HMAC-SHA256-TRAILER\n" + c.verify.amzDate + "\n" + c.verify.scope + "\n" +
			c.prevSig + "\n" + hex.EncodeToString(sum[:])
		want := hex.EncodeToString(hmacSHA256(c.verify.signingKey, sts))
		if !hmac.Equal([]byte(want), []byte(trailerSig)) {
			return newError("SignatureDoesNotMatch", "").with("StringToSign", sts).with("SignatureProvided", trailerSig)
		}
	}
	return nil
}

// asError maps a body read error to an S3 error.
func asError(err error) *Error {
	var e *Error
	if errors.As(err, &e) {
		return e
	}
	var mbe *http.MaxBytesError
	if errors.As(err, &mbe) {
		return newError("EntityTooLarge", "")
	}
	return newError("IncompleteBody", "")
}
