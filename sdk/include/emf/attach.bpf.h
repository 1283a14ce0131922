/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Declared attach targets, for a plugin's NAME.bpf.c: where a program whose
 * section libbpf cannot attach by itself attaches, so that the plugin needs
 * no C code. The runtime makes the attachment after the skeleton's own, with
 * the libbpf call of its kind, and undoes it when the plugin detaches.
 *
 *   const volatile char ifname[16] = "";
 *
 *   SEC("tc") EMF_ATTACH_TC_INGRESS(ifname)
 *   int on_packet(struct __sk_buff *skb) { ... }
 *
 * Where the target needs a value (an interface, a cgroup, a binary), the
 * declaration names an option of the plugin, a const volatile global set
 * before start (emf-agent --arg PLUGIN.OPTION=VALUE): strings are char
 * arrays, a pid an integer. A program whose option is left empty attaches
 * nowhere and is reported at start (an error when the host sets idle_fails).
 *
 * EMF_ATTACH_TC_INGRESS(ifname), EMF_ATTACH_TC_EGRESS(ifname)
 *	a SEC("tc") (sched_cls) program on the clsact hook of the interface:
 *	a TCX link where the kernel has TCX, else a tc filter through netlink
 *	(and the clsact qdisc, made if the interface had none and removed
 *	again after).
 * EMF_ATTACH_XDP(ifname)
 *	a SEC("xdp") program on the interface (bpf_program__attach_xdp()).
 * EMF_ATTACH_CGROUP(path)
 *	a cgroup program (cgroup_skb/ingress, cgroup/connect4, sockops,
 *	cgroup/sock_create...) on the cgroup v2 directory the option names; the
 *	root of the cgroup v2 hierarchy (/sys/fs/cgroup, or /sys/fs/cgroup/unified
 *	on hybrid systems) when it is empty, and EMF_ATTACH_CGROUP_ROOT always.
 * EMF_ATTACH_NETNS(path)
 *	a sk_lookup or flow_dissector program on the network namespace the
 *	option names (/proc/PID/ns/net, /run/netns/NAME); the host process's
 *	own when it is empty, and EMF_ATTACH_NETNS_SELF always.
 * EMF_ATTACH_SOCKET(ifname)
 *	a SEC("socket") filter on a packet socket (AF_PACKET, every protocol)
 *	that the runtime opens on the interface and closes on detach, as
 *	tcpdump-style tools do (SO_ATTACH_BPF): the program sees every frame in
 *	and out of the interface and sends what it finds through its maps.
 *	Nothing reads the socket; the program's return value is how many bytes
 *	of the frame it queues there, so return 0 to only look.
 * EMF_ATTACH_SOCKMAP(map)
 *	a SEC("sk_msg"), SEC("sk_skb/stream_parser"), SEC("sk_skb/stream_verdict")
 *	or SEC("sk_skb/verdict") program on the plugin's BPF_MAP_TYPE_SOCKMAP or
 *	BPF_MAP_TYPE_SOCKHASH @map (bpf_prog_attach(), detached again after):
 *	it runs for the sockets in that map, which the plugin's own sockops
 *	program puts there (EMF_ATTACH_CGROUP and bpf_sock_hash_update()).
 * EMF_ATTACH_ITER(ms), EMF_ATTACH_ITER_TO(ms, map)
 *	a SEC("iter/task"), SEC("iter/bpf_map")... program, run every @ms
 *	milliseconds (a number, or an integer option) from the host's event
 *	loop: the runtime makes its iter link (bpf_program__attach_iter()), and
 *	each time creates an iterator, reads it to the end (at most 4 MiB) and
 *	delivers what the program wrote as events of the plugin's event output
 *	(of the ring buffer @map names, when it has several), exactly as if
 *	they came through that ring buffer. Write whole event structs:
 *	bpf_seq_write(ctx->meta->seq, &ev, sizeof(ev)); a run whose output is
 *	not a whole number of them is dropped, with a warning. With @ms 0 it
 *	runs only when the host asks: emf_plugin__iter_run(), or the control
 *	socket's emf.plugins.iter (emf-ctl plugin iter PLUGIN PROGRAM).
 * EMF_ATTACH_ITER_LINES(ms), EMF_ATTACH_ITER_LINES_TO(ms, map)
 *	the same for an iterator that prints text (BPF_SEQ_PRINTF()): each line
 *	is one event, in the first char[] member of the event struct (cut to
 *	fit, the other members zero).
 * EMF_ATTACH_PERF_EVENT(type, config, freq)
 *	a SEC("perf_event") program on a sampling perf event on every online
 *	CPU: @type and @config are numbers or kernel enumerator names
 *	(PERF_TYPE_SOFTWARE, PERF_COUNT_SW_CPU_CLOCK), @freq samples per second.
 * EMF_ATTACH_UPROBE(binary, function, pid)
 *	a bare SEC("uprobe") or SEC("uretprobe") program on @function of the
 *	binary or library @binary names, in process @pid (an integer option;
 *	0 for every process).
 * EMF_ATTACH_USDT(binary, provider, name, pid)
 *	a bare SEC("usdt") program on USDT probe @provider:@name of @binary.
 *
 * struct_ops needs no declaration: every SEC(".struct_ops") map of a plugin
 * (a struct tcp_congestion_ops, for one) is registered when the plugin
 * attaches (bpf_map__attach_struct_ops()) and unregistered when it detaches,
 * unless the plugin has an attach hook of its own, which then does it.
 */
#ifndef __EMF_ATTACH_BPF_H
#define __EMF_ATTACH_BPF_H

#define __EMF_ATTACH(what) __attribute__((btf_decl_tag("emf.attach:" what)))

#define EMF_ATTACH_TC_INGRESS(ifname) __EMF_ATTACH("tc_ingress:" #ifname)
#define EMF_ATTACH_TC_EGRESS(ifname) __EMF_ATTACH("tc_egress:" #ifname)
#define EMF_ATTACH_XDP(ifname) __EMF_ATTACH("xdp:" #ifname)
#define EMF_ATTACH_CGROUP(path) __EMF_ATTACH("cgroup:" #path)
#define EMF_ATTACH_CGROUP_ROOT __EMF_ATTACH("cgroup:")
#define EMF_ATTACH_NETNS(path) __EMF_ATTACH("netns:" #path)
#define EMF_ATTACH_NETNS_SELF __EMF_ATTACH("netns:")
#define EMF_ATTACH_SOCKET(ifname) __EMF_ATTACH("socket:" #ifname)
#define EMF_ATTACH_SOCKMAP(map) __EMF_ATTACH("sockmap:" #map)
#define EMF_ATTACH_ITER(ms) __EMF_ATTACH("iter:" #ms)
#define EMF_ATTACH_ITER_TO(ms, map) __EMF_ATTACH("iter:" #ms ":" #map)
#define EMF_ATTACH_ITER_LINES(ms) __EMF_ATTACH("iter_lines:" #ms)
#define EMF_ATTACH_ITER_LINES_TO(ms, map) __EMF_ATTACH("iter_lines:" #ms ":" #map)
#define EMF_ATTACH_PERF_EVENT(type, config, freq)                                            \
	__EMF_ATTACH("perf:" #type ":" #config ":" #freq)
#define EMF_ATTACH_UPROBE(binary, function, pid)                                             \
	__EMF_ATTACH("uprobe:" #binary ":" #function ":" #pid)
#define EMF_ATTACH_USDT(binary, provider, name, pid)                                         \
	__EMF_ATTACH("usdt:" #binary ":" #provider ":" #name ":" #pid)

#endif /* __EMF_ATTACH_BPF_H */
