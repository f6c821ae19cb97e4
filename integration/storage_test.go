package integration

import (
	"testing"

	"github.com/s3kit/s3kit/storage/storagetest"
)

func TestConformance(t *testing.T) {
	storagetest.Run(t, newStorage)
}
