package publish

import "github.com/tufgit/tufgit/pkg/keys"

// WrapOnlineKeyForTest wraps an in-memory key (tests only).
func WrapOnlineKeyForTest(k *keys.Key) (*OnlineKey, error) { return &OnlineKey{key: k}, nil }
