// Package kmsproviders registers sigstore's KMS providers (AWS, GCP, Azure,
// HashiCorp Vault). Only the CLI imports it, so that library users who do
// not sign with KMS do not link the cloud SDKs.
package kmsproviders

import (
	_ "github.com/sigstore/sigstore/pkg/signature/kms/aws"        // awskms://
	_ "github.com/sigstore/sigstore/pkg/signature/kms/azure"      // azurekms://
	_ "github.com/sigstore/sigstore/pkg/signature/kms/gcp"        // gcpkms://
	_ "github.com/sigstore/sigstore/pkg/signature/kms/hashivault" // hashivault://
)
