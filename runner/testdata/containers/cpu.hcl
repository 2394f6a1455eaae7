# The CPU fault needs a CPU-bound endpoint, which the shop has none of (its
# services sleep to simulate work): the echo server of package container's
# tests spins on /burn?ms=N until it has used N ms of CPU. The test builds
# that image under a tag of its own and puts it in place of the one below.

experiment "cpu-limit" {
  baseline = "5s"
  fault    = "1s"
  recovery = "1s"
  window   = "1s"
}

component "echo" {
  container {
    image = "faultline-test/runner-echo:dev"
    port  = 8080
    ready { http = "/healthz" }
  }
}

workload "health" {
  http {
    target = component.echo
    path   = "/healthz"
    rate   = 1
  }
}

failure_mode "echo-starved" {
  component  = component.echo
  severity   = 4
  occurrence = 3
  detection  = 3
  fault "cpu" {
    cpus = 0.1
  }
}

hypothesis "starved" {
  failure_mode = failure_mode.echo-starved
  workload     = workload.health
  expect       = "steady"
}
