package client

import "time"

// SetClockForTest moves c's clock, in this package's tests only.
func SetClockForTest(c *Client, now time.Time) { c.testNow = now }
