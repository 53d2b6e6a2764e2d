//go:build !unix

package rusage

import "time"

func self() time.Duration     { return 0 }
func children() time.Duration { return 0 }
func maxRSS(any) int64        { return 0 }
