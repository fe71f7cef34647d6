# A connection is imported by its id. Write-only secrets are never read
# back: set them, with their *_wo_version, in the configuration and apply.
terraform import oauth2_connection.example <id>
