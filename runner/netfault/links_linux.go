package netfault

import (
	"fmt"
	"net"
	"strings"

	"github.com/vishvananda/netlink"
)

// targetLinks returns the interfaces a fault acts on: iface, or every
// interface of the current network namespace that is up and not a
// loopback.
func targetLinks(iface string) ([]netlink.Link, error) {
	all, err := netlink.LinkList()
	if err != nil {
		return nil, fmt.Errorf("list interfaces: %w", err)
	}
	var names []string
	var links []netlink.Link
	for _, l := range all {
		a := l.Attrs()
		names = append(names, a.Name)
		if iface != "" {
			if a.Name == iface {
				return []netlink.Link{l}, nil
			}
			continue
		}
		if a.Flags&net.FlagLoopback == 0 && a.Flags&net.FlagUp != 0 {
			links = append(links, l)
		}
	}
	if iface != "" {
		return nil, fmt.Errorf("no interface %q in this network namespace (it has %s): name one of those", iface, strings.Join(names, ", "))
	}
	if len(links) == 0 {
		return nil, fmt.Errorf("no interface to act on: none is up apart from loopback (the namespace has %s)", strings.Join(names, ", "))
	}
	return links, nil
}
