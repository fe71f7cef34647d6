package idtoken

import (
	"errors"
	"slices"
	"strings"
	"testing"
)

func TestKinds(t *testing.T) {
	want := []string{"github_actions", "gitlab_ci", "hcp_terraform", "file"}
	if got := Kinds(); !slices.Equal(got, want) {
		t.Fatalf("Kinds() = %q, want %q", got, want)
	}
	// Callers may keep or change the slice without affecting the next call.
	Kinds()[0] = "x"
	if got := Kinds(); got[0] != want[0] {
		t.Fatalf("Kinds() shares its slice: %q", got)
	}
}

func TestSourceValidate(t *testing.T) {
	type problem struct{ field, text string }
	tests := []struct {
		name string
		src  Source
		want []problem // empty: valid
	}{
		{name: "github", src: Source{Kind: GitHubActions}},
		{name: "github with audience", src: Source{Kind: GitHubActions, Audience: "api://AzureADTokenExchange"}},
		{name: "gitlab", src: Source{Kind: GitLabCI, Name: "OAUTH2_ID_TOKEN"}},
		{name: "gitlab underscore start", src: Source{Kind: GitLabCI, Name: "_tok1"}},
		{name: "hcp untagged", src: Source{Kind: HCPTerraform}},
		{name: "hcp tagged", src: Source{Kind: HCPTerraform, Name: "azure"}},
		{name: "file", src: Source{Kind: File, File: "/var/run/secrets/tokens/oidc"}},

		{name: "empty kind", src: Source{}, want: []problem{{"kind", "is required"}}},
		{name: "unknown kind", src: Source{Kind: "circleci", Name: "X"}, want: []problem{{"kind", `"circleci" is not a known kind`}}},
		{name: "gitlab without name", src: Source{Kind: GitLabCI}, want: []problem{{"name", "id_tokens:"}}},
		{name: "gitlab bad name", src: Source{Kind: GitLabCI, Name: "1TOKEN"}, want: []problem{{"name", "letters, digits and underscores"}}},
		{name: "gitlab name with dash", src: Source{Kind: GitLabCI, Name: "ID-TOKEN"}, want: []problem{{"name", "not a variable name"}}},
		{name: "gitlab audience", src: Source{Kind: GitLabCI, Name: "T", Audience: "a"}, want: []problem{{"audience", ".gitlab-ci.yml"}}},
		{name: "hcp bad tag", src: Source{Kind: HCPTerraform, Name: "my tag"}, want: []problem{{"name", "not a workload identity tag"}}},
		{name: "hcp audience", src: Source{Kind: HCPTerraform, Audience: "a"}, want: []problem{{"audience", "TFC_WORKLOAD_IDENTITY_AUDIENCE"}}},
		{name: "github name", src: Source{Kind: GitHubActions, Name: "X"}, want: []problem{{"name", "remove it"}}},
		{name: "github file", src: Source{Kind: GitHubActions, File: "/t"}, want: []problem{{"file", "applies to kind file only"}}},
		{name: "file without path", src: Source{Kind: File}, want: []problem{{"file", "is required"}}},
		{name: "file audience", src: Source{Kind: File, File: "/t", Audience: "a"}, want: []problem{{"audience", "projected volume"}}},
		{name: "file name", src: Source{Kind: File, File: "/t", Name: "X"}, want: []problem{{"name", "remove it"}}},
		{name: "gitlab file", src: Source{Kind: GitLabCI, Name: "T", File: "/t"}, want: []problem{{"file", "remove it"}}},
		{
			name: "every problem at once",
			src:  Source{Kind: GitLabCI, Audience: "a", File: "/t"},
			want: []problem{{"audience", ""}, {"name", "is required"}, {"file", "remove it"}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.src.Validate()
			if len(tt.want) == 0 {
				if err != nil {
					t.Fatalf("Validate() = %v, want nil", err)
				}
				return
			}
			if err == nil {
				t.Fatalf("Validate() = nil, want %d problems", len(tt.want))
			}
			var got []*FieldError
			if j, ok := err.(interface{ Unwrap() []error }); ok {
				for _, e := range j.Unwrap() {
					var fe *FieldError
					if !errors.As(e, &fe) {
						t.Fatalf("problem %v is not a *FieldError", e)
					}
					got = append(got, fe)
				}
			}
			if len(got) != len(tt.want) {
				t.Fatalf("Validate() = %v, want %d problems", err, len(tt.want))
			}
			for i, w := range tt.want {
				if got[i].Field != w.field || !strings.Contains(got[i].Msg, w.text) {
					t.Errorf("problem %d = %q, want field %q with %q", i, got[i], w.field, w.text)
				}
				if !strings.HasPrefix(got[i].Error(), "idtoken: "+w.field+": ") {
					t.Errorf("problem %d text %q does not name the field", i, got[i].Error())
				}
			}
		})
	}
}
