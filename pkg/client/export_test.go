package client

import "time"

// SetClockForTest moves c's clock, in this package's tests only.
func SetClockForTest(c *Client, now time.Time) { c.Config.Now = func() time.Time { return now } }

// LookupForTest runs the delegation walk for targetPath (refreshing first
// when c has not yet) and returns the roles it visited in order, the role
// that lists the target ("" if none) and whether it stopped at
// MaxDelegations.
func LookupForTest(c *Client, targetPath string) (visits []string, found string, truncated bool, err error) {
	s, err := c.session(false)
	if err != nil {
		return nil, "", false, err
	}
	defer s.unlock()
	r, err := s.lookup(targetPath)
	if r != nil {
		for _, v := range r.Visits {
			visits = append(visits, v.Role)
		}
		found, truncated = r.Role, r.Truncated
	}
	return visits, found, truncated, err
}
