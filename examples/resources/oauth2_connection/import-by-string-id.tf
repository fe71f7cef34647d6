import {
  to = oauth2_connection.example
  id = "<id>"
}
