# Mistakes in container blocks.

experiment "containers" {}

component "api" {
  container { # ERROR: Missing required argument
    port = 8080
  }
}

component "ports" {
  container {
    image = "ports:dev"
    port  = 0 # ERROR: Value out of range
  }
}

component "high" {
  container {
    image  = "high"
    port   = 70000 # ERROR: Value out of range
    cpus   = 0 # ERROR: Value out of range
    memory = "4MiB" # ERROR: Value out of range
  }
}

component "memory" {
  container {
    image  = "memory"
    port   = 80
    memory = "lots" # ERROR: Invalid memory size
  }
}

component "bytes" {
  container {
    image  = "bytes"
    port   = 80
    memory = 512 # ERROR: Value out of range
  }
}

component "units" {
  container {
    image  = "units"
    port   = 80
    memory = "256mib" # ERROR: Invalid memory size
    cpus   = "many" # ERROR: Incorrect value type
  }
}

component "readiness" {
  container {
    image = "Shop:Dev" # ERROR: Invalid image reference
    port  = 8080
    ready {
      http    = "/healthz"
      log     = "listening" # ERROR: Conflicting readiness checks
      timeout = "11m" # ERROR: Duration out of range
    }
  }
}

component "pattern" {
  container {
    image = "pattern"
    port  = 8080
    ready {
      log = "listening on (" # ERROR: Invalid regular expression
    }
    ready {} # ERROR: Duplicate ready block
  }
}

component "nocontext" {
  container {
    image = "nocontext@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef" # ERROR: Invalid image reference
    port  = 8080
    build {
      context = "no-such-dir" # ERROR: Invalid build context
    }
    build { # ERROR: Duplicate build block
      context = "."
    }
  }
}

component "filecontext" {
  container {
    image = "filecontext"
    port  = 8080
    build {
      context = "container.hcl" # ERROR: Invalid build context
    }
  }
}

component "nodockerfile" {
  container {
    image = "nodockerfile"
    port  = 8080
    build { # ERROR: Invalid Dockerfile
      context = "."
    }
  }
}

component "escape" {
  container {
    image = "escape"
    port  = 8080
    build {
      context    = "."
      dockerfile = "../valid/containers/frontend/Dockerfile" # ERROR: Invalid Dockerfile
    }
    build = "." # ERROR: Unsupported argument
  }
}

component "host" {
  process {
    command = ["./host", self.listen]
  }
}

component "reaches" {
  address = "127.0.0.1:8080" # ERROR: Address not allowed
  container {
    image   = "reaches"
    port    = 8080
    command = ["/reaches", "-upstream", component.host.url, self.lisen] # ERROR: Unreachable component # ERROR: Unsupported attribute
    env = {
      SELF    = component.reaches.url
      HOST    = component.host.address # ERROR: Unreachable component
      MISSING = component.nowhere.url # ERROR: Reference to undeclared component
    }
  }
}

component "both" {
  container {
    image   = "both"
    port    = 8080
    command = [] # ERROR: Empty command
  }
  process { # ERROR: Duplicate runtime block
    command = ["./both"]
  }
}

component "oldready" {
  process {
    command = ["./oldready", self.listen]
    ready {
      log = "ready" # ERROR: Unsupported argument
    }
  }
}

workload "w" {
  http {
    target = component.api
    rate   = 10
  }
}

failure_mode "f" {
  component  = component.api
  severity   = 5
  occurrence = 5
  detection  = 5
  fault "pause" {}
}

hypothesis "h" {
  failure_mode = failure_mode.f
  workload     = workload.w
  expect       = "steady"
}
