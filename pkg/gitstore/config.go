package gitstore

import (
	"fmt"

	"github.com/go-git/go-git/v5/config"
)

// ConfigValues reads every value of section.key from the repository's own
// git config (e.g. "tufgit", "protectedRef").
func (r *Repo) ConfigValues(section, key string) ([]string, error) {
	cfg, err := r.r.Config()
	if err != nil {
		return nil, err
	}
	return cfg.Raw.Section(section).Options.GetAll(key), nil
}

// ConfigValue reads section.key as git does for one value: from the
// repository's own config, else the user's global config (~/.gitconfig or
// $XDG_CONFIG_HOME/git/config); the last value wins. "" when unset.
func (r *Repo) ConfigValue(section, key string) (string, error) {
	local, err := r.r.Config()
	if err != nil {
		return "", err
	}
	if vs := local.Raw.Section(section).Options.GetAll(key); len(vs) > 0 {
		return vs[len(vs)-1], nil
	}
	// go-git's scoped config merges typed fields only, not Raw: read the
	// global file itself.
	global, err := config.LoadConfig(config.GlobalScope)
	if err != nil {
		return "", fmt.Errorf("global git config: %w", err)
	}
	if vs := global.Raw.Section(section).Options.GetAll(key); len(vs) > 0 {
		return vs[len(vs)-1], nil
	}
	return "", nil
}

// SetConfigValues replaces every value of section.key in the repository's
// own git config.
func (r *Repo) SetConfigValues(section, key string, values []string) error {
	cfg, err := r.r.Config()
	if err != nil {
		return err
	}
	sec := cfg.Raw.Section(section)
	sec.RemoveOption(key)
	for _, v := range values {
		sec.AddOption(key, v)
	}
	return r.r.SetConfig(cfg)
}
