# Planned with the configuration, so references to the connection's
# attributes resolve; the apply validates the imported connection.
import {
  to = oauth2_connection.example
  id = "<id>"
}
