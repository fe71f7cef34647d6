# A connection is imported by its id, the lower-case UUID in its `id` attribute
# (`terraform state show oauth2_connection.example` where it was created); any
# other string is refused. Import restores the id alone, which also names the
# connection's token store entry: every setting comes from the configuration,
# write-only secrets included (with their *_wo_version), and the next apply
# validates the connection again, since nothing says the settings still work.
#
# The import command evaluates the whole configuration against a state holding
# only that id. An oauth2_access_token whose arguments reference the
# connection's attributes then sees them null and fails with "Missing
# Configuration for Required Attribute"; feed it from the variables or locals
# the connection uses instead, or use an import block, which plans the
# connection from its configuration first.
terraform import oauth2_connection.example <id>
