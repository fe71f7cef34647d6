package provider

import (
	"strings"

	"github.com/hashicorp/terraform-plugin-framework/function"
)

// argumentError returns a function error about the argument at position i
// (from 0). Terraform and OpenTofu print it as `Invalid value for "name"
// parameter: <text>.`, adding the final period themselves, so text loses
// its own.
func argumentError(i int64, text string) *function.FuncError {
	return function.NewArgumentFuncError(i, strings.TrimSuffix(text, "."))
}
