# An endpoint without an environment, reported at the first endpoint block.

experiment "no-environment" {} # WARNING: No hypotheses

component "api" {
  endpoint { # ERROR: Missing environment
    address = "127.0.0.1:8443"
  }
}

component "db" {
  endpoint {
    address = "127.0.0.1:5432"
  }
}
