# SPDX-License-Identifier: GPL-2.0-only
# optguard build.  `make V=1` shows the commands.

# SANITIZE=1 (ASan + UBSan) builds everything apart, in its own output directory and
# binary, so that no object built without the sanitizers is reused, nor the reverse.
ifeq ($(SANITIZE),1)
OUTPUT ?= .output-san
BIN := $(OUTPUT)/optguard
else
OUTPUT ?= .output
BIN := optguard
endif
CLANG ?= clang
CC ?= cc
BPFTOOL ?= bpftool
ARCH := $(shell uname -m | sed 's/x86_64/x86/' | sed 's/aarch64/arm64/')
VMLINUX_BTF ?= /sys/kernel/btf/vmlinux

prefix ?= /usr/local
PREFIX ?= $(prefix)
DESTDIR ?=
SBINDIR ?= $(PREFIX)/sbin
DATADIR ?= $(PREFIX)/share/optguard
MANDIR ?= $(PREFIX)/share/man
UNITDIR ?= $(PREFIX)/lib/systemd/system
BASHCOMPDIR ?= $(PREFIX)/share/bash-completion/completions

WARN := -Wall -Wextra -Wshadow -Wmissing-prototypes -Wstrict-prototypes
CFLAGS ?= -O2 -g
override CFLAGS += $(WARN) -std=gnu11 -I. \
	-DOG_DATADIR='"$(DATADIR)"' -DOG_SRCDIR='"$(CURDIR)"'

# enforcer/ is layered; each layer sees only the headers of the layers below it, and only
# kernel/ sees the BPF skeletons ($(OUTPUT)/*.skel.h).  A file that includes a header of a
# layer above its own does not compile.  docs/DESIGN.md says what each layer holds.
#   base <- policy <- kernel <- daemon <- cli
LAYERS := base policy kernel daemon cli
INC_base := -Ienforcer/base
INC_policy := $(INC_base) -Ienforcer/policy
INC_kernel := $(INC_policy) -Ienforcer/kernel -I$(OUTPUT)
INC_daemon := $(INC_policy) -Ienforcer/kernel -Ienforcer/daemon
INC_cli := $(INC_daemon) -Ienforcer/cli
# tests, fuzzers and benchmarks see everything
INC_all := $(INC_cli) -I$(OUTPUT)
LDLIBS := -lbpf -lelf -lz -lcap -linih
BPF_CFLAGS := -g -O2 -target bpf -D__TARGET_ARCH_$(ARCH) -I$(OUTPUT) -Ibpf -Wall -Werror

ifeq ($(SANITIZE),1)
# any report fails the run: UBSan would otherwise print and go on
override CFLAGS += -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
LDFLAGS += -fsanitize=address,undefined
endif

ifeq ($(V),1)
Q =
msg =
else
Q = @
msg = @printf '  %-8s %s\n' "$(1)" "$(2)";
endif

BPF_PROGS := optguard guard probe
BPF_OBJS := $(patsubst %,$(OUTPUT)/%.bpf.o,$(BPF_PROGS))
SKELS := $(patsubst %,$(OUTPUT)/%.skel.h,$(BPF_PROGS))
# the benchmarks' reference programs (bench/bpf/): built by `make bench` only
BENCH_BPF_PROGS := empty floor
BENCH_SKELS := $(patsubst %,$(OUTPUT)/%.skel.h,$(BENCH_BPF_PROGS))

LIB_SRCS := $(filter-out enforcer/cli/main.c,$(wildcard $(patsubst %,enforcer/%/*.c,$(LAYERS))))
HDRS := $(wildcard enforcer/*/*.h)
LIB_OBJS := $(patsubst enforcer/%.c,$(OUTPUT)/enforcer/%.o,$(LIB_SRCS))
LIB := $(OUTPUT)/liboptguard.a

UNIT_SRCS := $(wildcard tests/unit/test_*.c)
UNIT_BINS := $(patsubst tests/unit/%.c,$(OUTPUT)/tests/%,$(UNIT_SRCS))
BENCH_SRCS := $(wildcard bench/*.c)
BENCH_BINS := $(patsubst bench/%.c,$(OUTPUT)/bench/%,$(BENCH_SRCS))
TEST_HELPERS := $(OUTPUT)/tests/sockopt32 $(OUTPUT)/tests/race $(OUTPUT)/tests/attack \
	$(OUTPUT)/tests/compat $(OUTPUT)/bench/hammer

.DELETE_ON_ERROR:
.SECONDEXPANSION:
.SECONDARY: $(BPF_OBJS) $(SKELS) $(BENCH_SKELS) $(OUTPUT)/vmlinux.h \
	$(patsubst %,$(OUTPUT)/%.bpf.o,$(BENCH_BPF_PROGS))
.PHONY: all deps deps-test deps-image layers run test test-unit selftest bench fuzz fuzz-build \
	clean install uninstall image

all: $(BIN)

# What a rule needs installed is an order-only prerequisite of that rule (never only of the
# goal: make builds a goal's prerequisites before the goal's own recipe runs, so a package
# installed there comes too late).  deps.sh is quiet and quick when everything is there.
deps:
	$(Q)scripts/deps.sh build

deps-test: deps
	$(Q)scripts/deps.sh test

deps-image: deps
	$(Q)scripts/deps.sh image

# The daemon with the shipped policy, in the foreground (root; Ctrl-C stops it).
run: $(BIN)
	./$(BIN) run --policy policy/default.ini

$(OUTPUT) $(OUTPUT)/tests $(OUTPUT)/bench $(patsubst %,$(OUTPUT)/enforcer/%,$(LAYERS)):
	$(Q)mkdir -p $@

$(OUTPUT)/vmlinux.h: | $(OUTPUT) deps
	$(call msg,GEN,$@)
	$(Q)$(BPFTOOL) btf dump file $(VMLINUX_BTF) format c > $@

$(OUTPUT)/%.bpf.o: $$(firstword $$(wildcard bpf/$$*.bpf.c bpf/$$*/$$*.bpf.c bench/bpf/$$*/$$*.bpf.c)) $(wildcard bpf/*.h bpf/*/*.h) $(wildcard bpf/*/*.bpf.c) $(OUTPUT)/vmlinux.h | $(OUTPUT) deps
	$(call msg,BPF,$@)
	$(Q)$(CLANG) $(BPF_CFLAGS) -c $< -o $@
	$(Q)llvm-strip -g $@ 2>/dev/null || true

$(OUTPUT)/%.skel.h: $(OUTPUT)/%.bpf.o
	$(call msg,GEN-SKEL,$@)
	$(Q)$(BPFTOOL) gen skeleton $< > $@

# The few vmlinux types the CO-RE relocations of optguard.bpf.o name, as a C array: the
# loader relocates the cgroup programs against it rather than parse the kernel's whole BTF
# (enforcer/kernel/minbtf.c).  Only the BPF UAPI context structures (an ABI) may be
# taken from the build's kernel like that; struct sock and socket are read by the LSM
# programs only, which are always relocated against the running kernel's BTF; so are the
# second line's (the compat check and lsm/uring_cmd, lsm/socket_sendmsg: bpf/lsm/), and the
# third's (the force programs read a socket's cgroup ancestry: bpf/force.bpf.h).
MIN_BTF_TYPES := bpf_sockopt bpf_sock bpf_sock_addr bpf_sock_ops sock socket sock_common \
	task_struct thread_info pt_regs file msghdr io_ring_ctx io_kiocb io_uring_cmd bpf_pidns_info \
	cgroup kernfs_node sock_cgroup_data
$(OUTPUT)/optguard.min_btf.h: $(OUTPUT)/optguard.bpf.o
	$(call msg,GEN-BTF,$@)
	$(Q)$(BPFTOOL) gen min_core_btf $(VMLINUX_BTF) $@.btf $<
	$(Q)bad=$$($(BPFTOOL) btf dump file $@.btf | awk -F"'" '/^\[[0-9]+\] (STRUCT|UNION) / && \
		$$2 != "(anon)" {print $$2}' | grep -vxF $(addprefix -e ,$(MIN_BTF_TYPES))); \
		if [ -n "$$bad" ]; then echo "$@: CO-RE relocations name kernel types" \
		"that are not BPF UAPI: $$bad (see MIN_BTF_TYPES)" >&2; rm -f $@.btf; exit 1; fi
	$(Q){ echo 'static const unsigned char og_min_btf[] = {'; \
		od -An -v -tx1 $@.btf | sed 's/ *\([0-9a-f][0-9a-f]\)/0x\1,/g'; echo '};'; } > $@.tmp
	$(Q)rm -f $@.btf && mv $@.tmp $@

$(OUTPUT)/enforcer/kernel/minbtf.o: $(OUTPUT)/optguard.min_btf.h

$(OUTPUT)/enforcer/%.o: enforcer/%.c $(HDRS) bpf/*.h $(SKELS) | $$(@D) deps
	$(call msg,CC,$@)
	$(Q)$(CC) $(CFLAGS) $(INC_$(firstword $(subst /, ,$*))) -c $< -o $@

# DATADIR is compiled in (policy_default_path()): a file that changes only when it does, so
# that `make install PREFIX=/usr` after a plain `make` installs a binary that looks in
# /usr/share/optguard, not in /usr/local/share/optguard.  DESTDIR is never compiled in.
$(OUTPUT)/datadir: FORCE | $(OUTPUT)
	$(Q)echo '$(DATADIR)' | cmp -s - $@ || echo '$(DATADIR)' > $@

$(OUTPUT)/enforcer/policy/report.o: $(OUTPUT)/datadir

$(LIB): $(LIB_OBJS)
	$(call msg,AR,$@)
	$(Q)rm -f $@ && $(AR) rcs $@ $^

$(BIN): $(OUTPUT)/enforcer/cli/main.o $(LIB) | deps
	$(call msg,LINK,$@)
	$(Q)$(CC) $(LDFLAGS) $^ $(LDLIBS) -o $@

$(OUTPUT)/tests/%: tests/unit/%.c tests/unit/*.h $(LIB) | $(OUTPUT)/tests deps
	$(call msg,CC,$@)
	$(Q)$(CC) $(CFLAGS) $(INC_all) $(LDFLAGS) $< $(LIB) $(LDLIBS) -o $@

# test_bad_input replays the regression corpora through the fuzz harnesses themselves
$(OUTPUT)/tests/test_bad_input: $(wildcard fuzz/*.c)

# -m32 needs gcc-multilib: a test package
$(OUTPUT)/tests/sockopt32: tests/clients/sockopt.c | $(OUTPUT)/tests deps-test
	$(call msg,CC-m32,$@)
	$(Q)$(CC) -m32 -O2 -Wall $< -o $@

# the optlen > PAGE_SIZE race (tests/33-race.t): plain C, two threads
$(OUTPUT)/tests/race: tests/clients/race.c | $(OUTPUT)/tests deps
	$(call msg,CC,$@)
	$(Q)$(CC) $(CFLAGS) $(LDFLAGS) -pthread $< -o $@

# what a capability-less root tries against optguard (tests/36-self-protect.t)
$(OUTPUT)/tests/attack: tests/clients/attack.c | $(OUTPUT)/tests deps
	$(call msg,CC,$@)
	$(Q)$(CC) -O2 $(WARN) $< -o $@

# int $0x80 and compat io_uring rings from a 64-bit binary (tests/50-compat.t)
$(OUTPUT)/tests/compat: tests/clients/compat.c | $(OUTPUT)/tests deps-test
	$(call msg,CC,$@)
	$(Q)$(CC) -O2 -Wall $< -o $@

# the client bench/daemon.sh runs: plain C, no library (it starts in the P8 measurement)
$(OUTPUT)/bench/hammer: bench/hammer.c | $(OUTPUT)/bench deps
	$(call msg,CC,$@)
	$(Q)$(CC) $(CFLAGS) $(LDFLAGS) $< -o $@

$(OUTPUT)/bench/%: bench/%.c bench/*.h $(LIB) $(BENCH_SKELS) | $(OUTPUT)/bench deps
	$(call msg,CC,$@)
	$(Q)$(CC) $(CFLAGS) $(INC_all) $(LDFLAGS) $< $(LIB) $(LDLIBS) -lpthread -o $@

# A header is reached through the layer's -I paths only, never by a path into enforcer/.
layers:
	$(Q)! grep -n '#include "\(\.\./\|enforcer/\)' enforcer/*/*.[ch] || \
		{ echo 'enforcer/: include headers by name; the layers are in the -I paths' >&2; exit 1; }

# The OCI image (scripts/image.sh, deploy/image/Containerfile; deploy/kubernetes/ runs it):
# optguard built apart with PREFIX=/usr, in $(IMAGE_OUT), and the libraries it is linked
# with, on an empty base; podman, offline.  IMAGE:latest and IMAGE:<commit>.
IMAGE ?= localhost/optguard
IMAGE_OUT := .output-image
image: | deps-image
	$(Q)$(MAKE) --no-print-directory OUTPUT=$(IMAGE_OUT) BIN=$(IMAGE_OUT)/optguard PREFIX=/usr \
		SANITIZE= $(IMAGE_OUT)/optguard
	$(Q)scripts/image.sh $(IMAGE_OUT)/optguard $(IMAGE)

# The tests need root: they load BPF programs into child cgroups they make.  The image's
# test (tests/85-image.t) runs what `make image` built: some 10 s for both.
test: layers $(BIN) $(UNIT_BINS) $(TEST_HELPERS) image | deps-test
	$(Q)OPTGUARD=$(CURDIR)/$(BIN) OUTPUT=$(CURDIR)/$(OUTPUT) \
		timeout 1200 prove --exec '' $(UNIT_BINS) $(wildcard tests/*.t)

test-unit: $(BIN) $(UNIT_BINS) | deps-test
	$(Q)timeout 300 prove --exec '' $(UNIT_BINS)

# Kernel-level tests in QEMU guests (selftests/): every kernel of the matrix.
# `make test` runs them on one kernel (tests/90-vm.t).
selftest: $(BIN) | deps-test
	$(Q)OPTGUARD=$(CURDIR)/$(BIN) OUTPUT=$(CURDIR)/$(OUTPUT) timeout 3600 selftests/run-vm.sh all

bench: $(BIN) $(BENCH_BINS) | deps-test
	$(Q)for b in $(filter $(OUTPUT)/bench/bench_%,$(BENCH_BINS)); do \
		OPTGUARD=$(CURDIR)/$(BIN) timeout 600 $$b || exit 1; done
	$(Q)OPTGUARD=$(CURDIR)/$(BIN) HAMMER=$(CURDIR)/$(OUTPUT)/bench/hammer timeout 600 bench/daemon.sh

# libFuzzer harnesses (fuzz/), ASan + UBSan.  The library sources they need are compiled
# again with the fuzzer's flags into $(FUZZ_OUT), never mixed with the normal objects.
# `make fuzz FUZZ_SECONDS=600` fuzzes longer; the corpora grow in $(FUZZ_OUT)/corpus-*.
FUZZ_SECONDS ?= 60
FUZZ_OUT := $(OUTPUT)/fuzz
FUZZ_CC ?= clang
FUZZ_SAN := -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
FUZZ_CFLAGS := -g -O1 $(FUZZ_SAN) -fsanitize=fuzzer-no-link $(WARN) -std=gnu11 -I. $(INC_all) \
	-DOG_DATADIR='"$(DATADIR)"' -DOG_SRCDIR='"$(CURDIR)"'
# everything pure (base/, policy/) and the event formatter
FUZZ_LIB_SRCS := $(wildcard enforcer/base/*.c enforcer/policy/*.c) enforcer/daemon/events.c
FUZZ_LIB_OBJS := $(patsubst enforcer/%.c,$(FUZZ_OUT)/obj/%.o,$(FUZZ_LIB_SRCS))
FUZZERS := $(patsubst fuzz/%.c,%,$(wildcard fuzz/fuzz_*.c))
FUZZ_BINS := $(addprefix $(FUZZ_OUT)/,$(FUZZERS))

.SECONDARY: $(FUZZ_LIB_OBJS)

$(FUZZ_OUT)/obj: | deps-test
	$(Q)mkdir -p $@

$(FUZZ_OUT)/obj/%.o: enforcer/%.c $(HDRS) bpf/*.h | $(FUZZ_OUT)/obj deps-test
	$(call msg,CC-FUZZ,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(FUZZ_CC) $(FUZZ_CFLAGS) -c $< -o $@

$(FUZZ_OUT)/fuzz_%: fuzz/fuzz_%.c $(FUZZ_LIB_OBJS) | deps-test
	$(call msg,FUZZER,$@)
	$(Q)$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer $^ -linih -o $@

# Seeds, made fresh on every run: the shipped and test policies (also those written inline
# in tests/*.t), and one event.
$(FUZZ_OUT)/seeds: FORCE | $(FUZZ_OUT)/obj
	$(Q)rm -rf $@ && mkdir -p $@/fuzz_policy $@/fuzz_event
	$(Q)cp $(wildcard policy/*.ini tests/bad-policies/*.ini tests/good-policies/*.ini) \
		$@/fuzz_policy/
	$(Q)awk '/<<.?INI.?$$/ { f = sprintf("$@/fuzz_policy/t%d.ini", ++n); on = 1; next } \
		/^INI$$/ { on = 0 } on { print > f }' tests/*.t
	$(Q){ head -c 512 /dev/zero; printf 'no-mark\0/app.slice/x.service'; } \
		> $@/fuzz_event/zero

fuzz-build: $(FUZZ_BINS)

fuzz: $(FUZZ_BINS) $(FUZZ_OUT)/seeds
	$(Q)for f in $(FUZZERS); do \
		mkdir -p $(FUZZ_OUT)/corpus-$$f && \
		echo "  FUZZ     $$f for $(FUZZ_SECONDS)s" && \
		$(FUZZ_OUT)/$$f -max_total_time=$(FUZZ_SECONDS) -timeout=10 -print_final_stats=1 \
			-artifact_prefix=$(FUZZ_OUT)/$$f- $(FUZZ_OUT)/corpus-$$f \
			$(FUZZ_OUT)/seeds/$$f 2> $(FUZZ_OUT)/$$f.log || \
			{ tail -50 $(FUZZ_OUT)/$$f.log; exit 1; }; \
		grep -E '^(stat::number_of_executed_units|#[0-9]+.*DONE)' $(FUZZ_OUT)/$$f.log \
			| sed 's/^/           /'; \
	done

FORCE:

# `make install DESTDIR=/tmp/pkg PREFIX=/usr`: the unit's ExecStart= names $(SBINDIR), the
# installed path (without DESTDIR).
INSTALLED := $(SBINDIR)/optguard $(DATADIR)/default.ini $(MANDIR)/man8/optguard.8 \
	$(MANDIR)/man5/optguard.ini.5 $(UNITDIR)/optguard.service $(BASHCOMPDIR)/optguard

install: $(BIN)
	$(call msg,INSTALL,$(DESTDIR)$(PREFIX))
	$(Q)install -D -m 0755 $(BIN) $(DESTDIR)$(SBINDIR)/optguard
	$(Q)install -D -m 0644 policy/default.ini $(DESTDIR)$(DATADIR)/default.ini
	$(Q)install -D -m 0644 docs/optguard.8 $(DESTDIR)$(MANDIR)/man8/optguard.8
	$(Q)install -D -m 0644 docs/optguard.ini.5 $(DESTDIR)$(MANDIR)/man5/optguard.ini.5
	$(Q)install -D -m 0644 docs/optguard.bash $(DESTDIR)$(BASHCOMPDIR)/optguard
	$(Q)install -d -m 0755 $(DESTDIR)$(UNITDIR)
	$(Q)sed 's|@SBINDIR@|$(SBINDIR)|g' systemd/optguard.service.in \
		> $(DESTDIR)$(UNITDIR)/optguard.service.tmp
	$(Q)chmod 0644 $(DESTDIR)$(UNITDIR)/optguard.service.tmp
	$(Q)mv $(DESTDIR)$(UNITDIR)/optguard.service.tmp $(DESTDIR)$(UNITDIR)/optguard.service

# Removes what install wrote, and the data directory if nothing else is in it; never
# /etc/optguard (the administrator's policy) nor what the daemon pinned.
uninstall:
	$(call msg,UNINSTALL,$(DESTDIR)$(PREFIX))
	$(Q)rm -f $(addprefix $(DESTDIR),$(INSTALLED))
	$(Q)rmdir $(DESTDIR)$(DATADIR) 2>/dev/null || true

clean:
	$(call msg,CLEAN)
	$(Q)rm -rf $(OUTPUT) $(BIN) $(IMAGE_OUT)
