# Mistakes in endpoint components and in staging faults.

experiment "staging" { # WARNING: No hypotheses
  environment = "stage 2" # ERROR: Invalid environment
}

component "api" {
  address = "127.0.0.1:80" # ERROR: Address not allowed
  endpoint {
    address = "127.0.0.1" # ERROR: Invalid address
    toxiproxy {
      api   = "127.0.0.1:8474" # ERROR: Invalid URL
      proxy = "" # ERROR: Invalid proxy name
    }
    toxiproxy { # ERROR: Duplicate toxiproxy block
      api   = "http://127.0.0.1:8474"
      proxy = "api"
    }
  }
}

component "bare" {
  endpoint {
    adress = "127.0.0.1:9000" # ERROR: Unsupported argument
  }
}

component "local" {
  process {
    command = ["./local", self.listen]
  }
}

failure_mode "api-wrong" {
  component  = component.api
  severity   = 5
  occurrence = 5
  detection  = 5
  fault "kill" {} # ERROR: Fault not for an endpoint
  fault "http_error" { # ERROR: Fault not for an endpoint
    fraction = 0.5
  }
  fault "exec" { # ERROR: Missing required argument
    command = ["./flag.sh", "on"]
  }
  fault "exec" {
    command = [] # ERROR: Empty command
    revert  = ["./flag.sh", component.api.url] # ERROR: Variables not allowed
    timeout = "0s" # ERROR: Duration out of range
  }
  fault "exec" {
    command = ["./flag.sh", "on"]
    revert  = ["./flag.sh", "off"]
    timout  = "1s" # ERROR: Unsupported argument
  }
  fault "http" { # ERROR: Missing request block
    inject {
      method      = "FETCH" # ERROR: Invalid method
      url         = "ftp://flags/slow" # ERROR: Invalid URL
      headers     = { Authorization = "x" }
      headers_env = { Authorization = "FLAG TOKEN" } # ERROR: Invalid environment variable name # ERROR: Duplicate header
      status      = 700 # ERROR: Value out of range
    }
    timeout = "2m" # ERROR: Duration out of range
  }
  fault "http" {
    inject { # ERROR: Missing required argument
      body = "on"
    }
    revert {
      url = "http://127.0.0.1:9000/flags/slow"
    }
    revert { # ERROR: Duplicate request block
      url = "http://127.0.0.1:9000/flags/slow"
    }
  }
}

failure_mode "no-proxy" {
  component  = component.bare
  severity   = 5
  occurrence = 5
  detection  = 5
  fault "latency" { # ERROR: Fault needs a Toxiproxy API
    delay = "100ms"
  }
}

failure_mode "local-http" {
  component  = component.local
  severity   = 5
  occurrence = 5
  detection  = 5
  fault "http" { # ERROR: Fault needs an endpoint
    inject {
      url = "http://127.0.0.1:9000/on"
    }
    revert {
      url = "http://127.0.0.1:9000/off"
    }
  }
}
