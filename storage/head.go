package storage

import (
	"context"
	"errors"
	"io"
	"strconv"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

// ReadHead describes the object called name and returns its first n bytes
// (all of a shorter object), as stored (still compressed when it has a
// Content-Encoding), with one ranged GET. It is how a direct upload is
// checked after the fact: the size, the stored headers and the bytes that
// tell the type (see DetectContentType).
func (s *Storage) ReadHead(ctx context.Context, name string, n int) (Info, []byte, error) {
	const op = "read-head"
	clean, key, err := s.objectKey(op, name)
	if err != nil {
		return Info{}, nil, err
	}
	if n <= 0 {
		info, err := s.Stat(ctx, clean)
		return info, nil, err
	}
	in := s.getInput(key)
	in.Range = aws.String("bytes=0-" + strconv.Itoa(n-1))
	out, err := s.client.GetObject(ctx, in)
	if err != nil {
		if isKind(err, errInvalidRange) { // an empty object has no byte 0
			info, err := s.Stat(ctx, clean)
			return info, nil, err
		}
		return Info{}, nil, opError(op, key, err)
	}
	defer out.Body.Close()
	head, err := io.ReadAll(io.LimitReader(out.Body, int64(n)))
	if err != nil {
		return Info{}, nil, opError(op, key, err)
	}
	h := headOfGet(out)
	h.ContentLength = aws.Int64(objectSize(out))
	info := infoOf(clean, key, h)
	return info, head, nil
}

// objectSize is the size of the whole object a GET answered: the total of
// its Content-Range, or its length when the server sent it all.
func objectSize(out *s3.GetObjectOutput) int64 {
	if cr := aws.ToString(out.ContentRange); cr != "" {
		if i := strings.LastIndexByte(cr, '/'); i >= 0 {
			if total, err := strconv.ParseInt(cr[i+1:], 10, 64); err == nil {
				return total
			}
		}
	}
	return aws.ToInt64(out.ContentLength)
}

// DeleteIfMatch deletes name if its ETag is still etag (If-Match, and a
// HEAD first for servers that ignore it on DELETE), so that an object
// another writer stored since is never deleted. A name that is gone, or
// holds another object, is left as it is and is not an error.
func (s *Storage) DeleteIfMatch(ctx context.Context, name, etag string) error {
	const op = "delete-if-match"
	_, key, err := s.objectKey(op, name)
	if err != nil {
		return err
	}
	if etag == "" {
		return opError(op, key, errors.New("no ETag to match"))
	}
	return opError(op, key, s.deleteMatching(ctx, key, etag, &s.opts.ObjectParameters))
}
