# Top-level build: `make help` lists the targets.
#
#   make qemu-arm-virt              build everything and boot it with the console attached
#   make qemu-arm-virt HEADLESS=1   boot without a console; exit 0 once the system is ready
#   make qemu-arm-virt GDB=1        boot halted, with QEMU's gdb stub on localhost:1234
#   make qemu-arm-virt DISK=file    boot with another disk than build/<config>/disks/xnu-disk.img (SECURE_NV_IMAGE=file: flash)
#   make test                       host tests and QEMU checks; ends with `N passed, N failed`
#   make check-system SYSTEM=file   validate a system description (exit 0 valid, 1 invalid); MANIFESTS=dir: its exclaves manifests too
#   make bench [COMPARE=old.json]   seL4 and PD runtime costs in guest instructions (QEMU -icount)
#   make fuzz [FUZZ_SECONDS=300]    every fuzz target for FUZZ_SECONDS each
#   make clean

BUILD         ?= build
KERNEL_CONFIG ?= debug
# The image to boot: `system` is the monitor running SYSTEM (system.xml);
# any root-task crate name (boot-check, kernel-suite, ...) boots that instead.
ROOT_TASK     ?= system
TIMEOUT       ?= 120

TARGET        := aarch64-unknown-none
PY_VENV       := $(BUILD)/venv
VENV_STAMP    := $(PY_VENV)/.installed
# KERNEL_PATCHES=off: the same config with our kernel patches switched off.
KERNEL_PATCHES ?= on
CFG_BUILD     := $(BUILD)/$(KERNEL_CONFIG)$(if $(filter off,$(KERNEL_PATCHES)),-stock)
IMAGES        := $(CFG_BUILD)/images
HARNESS       := target/release/run-qemu
# Every QEMU run goes through the harness, which runs QEMU from here so that
# it finds no firmware file (tests/harness/src/qemu.rs).
QEMU_HOME     := $(BUILD)/qemu

.DEFAULT_GOAL := qemu-arm-virt
.PHONY: FORCE help deps images pds xnu qemu-arm-virt test check-system bench fuzz clean
# Keep the root-task ELFs the image rules produce on the way (gdb wants them).
.SECONDARY:

help:
	@sed -n '3,11p' Makefile | sed 's/^# \{0,1\}//'

# --- host prerequisites ------------------------------------------------------
# Who uses each: gcc-aarch64-linux-gnu builds the kernel (gcc, cpp, as, ld,
# strip); libxml2-utils gives it xmllint (it checks its interface XML);
# python3 and python3-venv run its generators and our scripts; gcc and
# libc6-dev link the host crates; g++ builds libFuzzer for the fuzz targets;
# patch applies our kernel patches; qemu-system-arm boots every image.
DEBIAN_PACKAGES := gcc-aarch64-linux-gnu libxml2-utils python3 python3-venv gcc libc6-dev g++ patch qemu-system-arm
DEPS_STAMP := $(BUILD)/.deps-ok

$(DEPS_STAMP): support/scripts/install-deps.sh
	@support/scripts/install-deps.sh $(DEBIAN_PACKAGES)
	@mkdir -p $(BUILD) && touch $@

$(VENV_STAMP): support/kernel/python-requirements.txt $(DEPS_STAMP)
	@echo "[deps] creating Python venv for the kernel's generators in $(PY_VENV)"
	@python3 -m venv $(PY_VENV)
	@$(PY_VENV)/bin/pip install --quiet --disable-pip-version-check -r $<
	@touch $@

deps: $(DEPS_STAMP) $(VENV_STAMP)

include support/kernel/kernel.mk

# --- Rust ----------------------------------------------------------------------
# Target crates see the kernel this build prepared (the bindings are generated
# from it); cargo itself decides what to rebuild.
export SEL4_SOURCE := $(abspath $(KERNEL_SRC))
export SEL4_CONFIG := $(abspath $(KERNEL_CFG_FILE))
TARGET_DIR := $(abspath $(CFG_BUILD)/target)

$(CFG_BUILD)/root-tasks/%.elf: $(KERNEL_ELF) FORCE
	@echo "[rust] root task $*"
	@cargo build --quiet --release --target $(TARGET) --target-dir $(TARGET_DIR) -p $*
	@mkdir -p $(@D) && cp -p $(TARGET_DIR)/$(TARGET)/release/$* $@

# One bootable image per root task: the loader with the kernel and that root
# task embedded. Each image keeps its own loader target dir so switching
# between images does not rebuild the loader.
$(IMAGES)/%.elf: $(CFG_BUILD)/root-tasks/%.elf $(KERNEL_ELF) FORCE
	@echo "[rust] loader image $@"
	@LOADER_KERNEL_ELF=$(abspath $(KERNEL_ELF)) LOADER_ROOT_TASK_ELF=$(abspath $<) \
	  cargo build --quiet --release --target $(TARGET) \
	    --target-dir $(abspath $(CFG_BUILD)/loader-target/$*) -p sel4-loader
	@mkdir -p $(@D) && cp -p $(CFG_BUILD)/loader-target/$*/$(TARGET)/release/loader $@

$(HARNESS): FORCE
	@cargo build --quiet --release -p qemu-harness

# A loader image whose root task ELF is cut short: the loader must refuse it.
$(CFG_BUILD)/root-tasks/truncated.elf: $(CFG_BUILD)/root-tasks/boot-check.elf
	@head -c 4096 $< > $@

# The test selection is compiled into the suite (SEL4_TEST_FILTER); cargo
# rebuilds the suite when it changes.
export SEL4_TEST_FILTER := $(TESTS)

# The kernel suite built to run only its deliberately failing tests (kept out
# of the default run), in its own target dir so it does not rebuild the other.
$(CFG_BUILD)/root-tasks/kernel-must-fail.elf: $(KERNEL_ELF) FORCE
	@echo "[rust] root task kernel-suite (FAIL0001,FAIL0002 only)"
	@SEL4_TEST_FILTER=FAIL0001,FAIL0002 cargo build --quiet --release --target $(TARGET) \
	  --target-dir $(TARGET_DIR)-must-fail -p kernel-suite
	@mkdir -p $(@D) && cp -p $(TARGET_DIR)-must-fail/$(TARGET)/release/kernel-suite $@

SUITES := kernel
BOOT_IMAGES := boot-check fault-check panic-check truncated kernel-must-fail

# --- systems: system.xml -> monitor + spec -> bootable image -------------------
# PD programs are the binaries of the crates in PD_CRATE_DIRS, copied to PD_DIR as
# <name>.elf (the directory made anew, so no removed program lingers), with the
# files systems prefill regions from (PD_DATA), which is the tool's search
# path (exclaves/conclaves' programs are not PDs: the conclave manager
# loads them from a region prefilled with conclave-demo.elf). `microkit-tool build` writes the
# root task (the monitor with the system's spec) and a report beside it.
SYSTEM      ?= system.xml
PD_CRATE_DIRS := pds/serial pds/timer exclaves exclaves/conclaves tests/microkit tests/runtime-bench tests/attack
PD_DIR      := $(CFG_BUILD)/pds
PD_DATA     := $(wildcard tests/microkit/data/*)
# A crate's `name =` lines: the package's own, then its binaries'.
crate_names = $(shell sed -n 's/^name = "\(.*\)"/\1/p' $(1)/Cargo.toml)
PD_CRATES   := $(foreach c,$(PD_CRATE_DIRS),$(firstword $(call crate_names,$(c))))
PD_NAMES    := $(foreach c,$(PD_CRATE_DIRS),$(wordlist 2,999,$(call crate_names,$(c))))
MK_SYSTEMS  := $(basename $(notdir $(wildcard tests/microkit/systems/mk*.xml)))
ATTACK_SYSTEMS := $(basename $(notdir $(wildcard tests/attack/systems/attack*.xml)))
TOOL        := target/release/microkit-tool

# The XNU personality embeds its boot filesystem: the user programs of
# xnu-personality/userland, stripped (gdb can use the unstripped ones in the
# target dir) and packed by mkbootfs (rewritten only when they change, so
# XNU is rebuilt only then).
USER_PROGRAMS := $(wordlist 2,999,$(call crate_names,xnu-personality/userland/programs))
USER_DIR      := $(CFG_BUILD)/userland
BOOTFS        := $(CFG_BUILD)/bootfs.img
MKBOOTFS      := target/release/mkbootfs
XNU_PDS       := $(wordlist 2,999,$(call crate_names,xnu-personality))
# The exclaves resource table: manifests/ compiled against the default
# system.xml (replaced only when it changes, as the boot filesystem is),
# put beside the PD programs, where system.xml prefills XNU's read-only
# table region from. A copy with one byte flipped boots as damaged-table.
MANIFEST_TOOL := target/release/exclaves-manifest
EXCLAVES_TABLE := $(CFG_BUILD)/exclaves-table.bin

# The key service's simulated device secret: 32 random bytes made once
# per build tree, prefilled into a region only that service maps.
DEVICE_SECRET := $(CFG_BUILD)/device-secret.bin
$(DEVICE_SECRET):
	@mkdir -p $(@D) && head -c 32 /dev/urandom > $@

$(MKBOOTFS): FORCE
	@cargo build --quiet --release -p xnu-bootfs --bin mkbootfs

$(MANIFEST_TOOL): FORCE
	@cargo build --quiet --release -p exclaves-manifest

xnu: $(KERNEL_ELF) $(MKBOOTFS) $(MANIFEST_TOOL) FORCE
	@echo "[rust] user programs ($(USER_PROGRAMS))"
	@cargo build --quiet --release --target $(TARGET) --target-dir $(TARGET_DIR) -p xnu-userland
	@mkdir -p $(USER_DIR) && for p in $(USER_PROGRAMS); do \
	  aarch64-linux-gnu-strip -o $(USER_DIR)/$$p.elf $(TARGET_DIR)/$(TARGET)/release/$$p; done
	@$(MKBOOTFS) $(BOOTFS) $(USER_PROGRAMS:%=$(USER_DIR)/%.elf)
	@$(MANIFEST_TOOL) build manifests --system system.xml --output $(EXCLAVES_TABLE).new
	@cmp -s $(EXCLAVES_TABLE).new $(EXCLAVES_TABLE) && rm $(EXCLAVES_TABLE).new || mv $(EXCLAVES_TABLE).new $(EXCLAVES_TABLE)
	@echo "[rust] XNU personality"
	@XNU_BOOTFS=$(abspath $(BOOTFS)) cargo build --quiet --release --target $(TARGET) --target-dir $(TARGET_DIR) -p xnu-personality

pds: $(KERNEL_ELF) xnu $(DEVICE_SECRET) FORCE
	@echo "[rust] PD programs ($(PD_CRATES))"
	@cargo build --quiet --release --target $(TARGET) --target-dir $(TARGET_DIR) $(PD_CRATES:%=-p %)
	@rm -rf $(PD_DIR) && mkdir -p $(PD_DIR) && for pd in $(PD_NAMES) $(XNU_PDS); do cp -p $(TARGET_DIR)/$(TARGET)/release/$$pd $(PD_DIR)/$$pd.elf; done
	@cp -p $(PD_DATA) $(EXCLAVES_TABLE) $(DEVICE_SECRET) manifests/keys.policy $(PD_DIR)/
	@support/scripts/damage-table.py $(EXCLAVES_TABLE) $(PD_DIR)/exclaves-table-damaged.bin

# $(1) system file, $(2) root task, $(3) the monitor it is built with.
define system_root_task
	@echo "[tool] $(1) -> $(2)"
	@$(TOOL) build $(1) --search-path $(PD_DIR) --monitor $(3) \
	  --output $(2) --report $(basename $(2)).report
endef

# Static pattern rules: make prefers them to the generic root-task rule above
# whether or not their prerequisites exist yet.
$(MK_SYSTEMS:%=$(CFG_BUILD)/root-tasks/%.elf): $(CFG_BUILD)/root-tasks/%.elf: tests/microkit/systems/%.xml $(CFG_BUILD)/root-tasks/monitor.elf pds $(TOOL)
	$(call system_root_task,$<,$@,$(CFG_BUILD)/root-tasks/monitor.elf)

$(CFG_BUILD)/root-tasks/runtime-bench.elf: tests/runtime-bench/system.xml $(CFG_BUILD)/root-tasks/monitor.elf pds $(TOOL)
	$(call system_root_task,$<,$@,$(CFG_BUILD)/root-tasks/monitor.elf)

$(CFG_BUILD)/root-tasks/system.elf: $(SYSTEM) $(CFG_BUILD)/root-tasks/monitor.elf pds $(TOOL) FORCE
	$(call system_root_task,$<,$@,$(CFG_BUILD)/root-tasks/monitor.elf)

# The attack systems: their judges and monitor end each line with the log
# seal, a token made once per build tree that no PD under test is built with,
# so the harness knows which lines are theirs (tests/attack/src/lib.rs).
LOG_SEAL := $(shell mkdir -p $(CFG_BUILD) && f=$(CFG_BUILD)/log-seal && \
              { [ -s $$f ] || od -An -N8 -tx8 /dev/urandom | tr -d ' \n' > $$f; } && cat $$f)
export ATTACK_LOG_SEAL := $(LOG_SEAL)

$(CFG_BUILD)/root-tasks/monitor-sealed.elf: $(KERNEL_ELF) FORCE
	@echo "[rust] root task monitor (lines sealed, for the attack systems)"
	@MONITOR_LOG_SEAL=$(LOG_SEAL) cargo build --quiet --release --target $(TARGET) --target-dir $(TARGET_DIR)-sealed -p monitor
	@mkdir -p $(@D) && cp -p $(TARGET_DIR)-sealed/$(TARGET)/release/monitor $@

$(ATTACK_SYSTEMS:%=$(CFG_BUILD)/root-tasks/%.elf): $(CFG_BUILD)/root-tasks/%.elf: tests/attack/systems/%.xml $(CFG_BUILD)/root-tasks/monitor-sealed.elf pds $(TOOL)
	$(call system_root_task,$<,$@,$(CFG_BUILD)/root-tasks/monitor-sealed.elf)

# The default system with its resource table damaged (EXCL0021).
$(CFG_BUILD)/systems/damaged-table.xml: $(SYSTEM)
	@mkdir -p $(@D) && sed 's/prefill_path="exclaves-table.bin"/prefill_path="exclaves-table-damaged.bin"/' $< > $@
	@grep -q 'exclaves-table-damaged.bin' $@ || { echo "$@: no table region to damage in $<"; rm $@; exit 1; }
$(CFG_BUILD)/root-tasks/damaged-table.elf: $(CFG_BUILD)/systems/damaged-table.xml $(CFG_BUILD)/root-tasks/monitor.elf pds $(TOOL)
	$(call system_root_task,$<,$@,$(CFG_BUILD)/root-tasks/monitor.elf)
BOOT_IMAGES += damaged-table

# The hello system with its spec damaged, and the monitor with no spec at all:
# the monitor must refuse each and say why.
SPEC_DAMAGE := version checksum
$(SPEC_DAMAGE:%=$(CFG_BUILD)/root-tasks/spec-%.elf): $(CFG_BUILD)/root-tasks/spec-%.elf: $(CFG_BUILD)/root-tasks/mk0001-hello.elf support/scripts/tamper-spec.py
	@support/scripts/tamper-spec.py $< $@ $*
BOOT_IMAGES += monitor $(SPEC_DAMAGE:%=spec-%)

# The MK virtio-blk tests' disk: run-all.sh copies this blank 1 MiB image
# to disks/blk.img for MK0018's first boot, and MK0019 boots that copy again.
BLANK_DISK := $(CFG_BUILD)/disks/blank.img
$(BLANK_DISK):
	@mkdir -p $(@D) && rm -f $@.new && truncate -s 1M $@.new && mv $@.new $@

# The default system's drives: XNU's disk (its object store) and the storage
# exclave's simulated secure NV (the second flash bank, 64 MiB as QEMU virt
# requires; sparse). Made once, blank; `make qemu-arm-virt` boots with them,
# so what is stored stays across its boots. Tests boot with fresh copies.
XNU_DISK  := $(CFG_BUILD)/disks/xnu-disk.img
SECURE_NV := $(CFG_BUILD)/disks/secure-nv.img
$(XNU_DISK):
	@mkdir -p $(@D) && rm -f $@.new && truncate -s 2M $@.new && mv $@.new $@
$(SECURE_NV):
	@mkdir -p $(@D) && rm -f $@.new && truncate -s 64M $@.new && mv $@.new $@

images: $(BLANK_DISK) $(XNU_DISK) $(SECURE_NV) $(foreach t,system $(BOOT_IMAGES) $(SUITES:%=%-suite) $(MK_SYSTEMS) $(ATTACK_SYSTEMS),$(IMAGES)/$(t).elf)

# --- run -------------------------------------------------------------------
# DISK=file, SECURE_NV=file: the images the guest writes into (the default
# system's own unless given).
DISK ?= $(XNU_DISK)
SECURE_NV_IMAGE ?= $(SECURE_NV)
RUN_QEMU := $(HARNESS) --qemu-home $(QEMU_HOME) --ram $(QEMU_RAM_MB) $(if $(DISK),--disk $(DISK)) $(if $(SECURE_NV_IMAGE),--secure-nv $(SECURE_NV_IMAGE))

qemu-arm-virt: $(IMAGES)/$(ROOT_TASK).elf $(HARNESS) $(XNU_DISK) $(SECURE_NV)
ifdef HEADLESS
	@$(RUN_QEMU) --image $< --log $(CFG_BUILD)/logs/$(ROOT_TASK).log --timeout $(TIMEOUT)
else ifdef GDB
	@echo "[qemu] halted at reset; gdb stub on localhost:1234."
	@echo "[qemu] in another shell: gdb-multiarch -ex 'target remote :1234' $(KERNEL_ELF)"
	@echo "[qemu] quit QEMU with Ctrl-a x"
	@$(RUN_QEMU) --image $< --interactive --gdb
else
	@echo "[qemu] booting $(ROOT_TASK); quit with Ctrl-a x"
	@$(RUN_QEMU) --image $< --interactive
endif

# --- system description ---------------------------------------------------
# Validates SYSTEM without building the kernel or images. Program images are
# looked up in SEARCH_PATH (space-separated dirs); missing ones are noted once
# and only the checks that need them are skipped. REPORT=file writes the report.
SEARCH_PATH ?=

$(TOOL): FORCE
	@cargo build --quiet --release -p microkit-tool

# MANIFESTS=dir also checks the exclaves manifests of dir against SYSTEM
# (manifests/ for the default system.xml, none for another).
MANIFESTS ?= $(if $(filter system.xml,$(SYSTEM)),manifests)
check-system: $(TOOL) $(if $(MANIFESTS),$(MANIFEST_TOOL))
	@$(TOOL) check $(SYSTEM) $(foreach d,$(SEARCH_PATH),--search-path $(d)) $(if $(REPORT),--report $(REPORT))
	$(if $(MANIFESTS),@$(MANIFEST_TOOL) check $(MANIFESTS) --system $(SYSTEM) $(foreach d,$(SEARCH_PATH),--search-path $(d)))

# --- benchmarks ------------------------------------------------------------------
# Built with the bench kernel config (release, user-readable cycle counter),
# once with our kernel patches and once without (KERNEL_PATCHES=off, in
# build/bench-stock), so the report shows both. Each image runs twice under
# -icount so that counts repeat exactly; the report checks that.
# kernel-bench measures raw seL4, runtime-bench the PD runtime
# (tests/runtime-bench/system.xml). BUILD_TIMES=0 skips timing a clean build
# in a fresh checkout (support/scripts/build-times.sh).
BENCH_DIR    := $(BUILD)/bench
STOCK_DIR    := $(BUILD)/bench-stock
BENCH_IMAGES := kernel-bench runtime-bench system
BENCH_QEMU   := --qemu-arg -icount --qemu-arg shift=0,sleep=off
# The default system (XNU) is measured by its xnubench program, typed at
# its shell once the prompt is up (the `set --` in the loop below); the
# release kernel's monitor prints nothing, so xnubench's last line ends it.

BUILD_TIMES  ?= 1

bench: $(HARNESS)
	@for patches in on off; do \
	  dir=$(BENCH_DIR); [ $$patches = off ] && dir=$(STOCK_DIR); \
	  $(MAKE) --no-print-directory KERNEL_CONFIG=bench KERNEL_PATCHES=$$patches \
	    $(foreach i,$(BENCH_IMAGES),$$dir/images/$(i).elf) || exit 1; \
	  for image in $(BENCH_IMAGES); do for run in 1 2; do \
	    if [ $$image = system ]; then \
	      rm -f $$dir/bench-disk.img $$dir/bench-nv.img && truncate -s 2M $$dir/bench-disk.img && truncate -s 64M $$dir/bench-nv.img; \
	      set -- --send-after 'xnu$$ ' 'xnubench\n' --disk $$dir/bench-disk.img --secure-nv $$dir/bench-nv.img \
	      --until 'xnu: *** bench finished ***' --mark 'xnu$$ '; else set --; fi; \
	    $(HARNESS) --qemu-home $(QEMU_HOME) --image $$dir/images/$$image.elf \
	      --log $$dir/$$image-run$$run.log --timeout $(TIMEOUT) \
	      --mark "BENCH" --mark "bench: first PD init" $(BENCH_QEMU) \
	      "$$@" > /dev/null \
	      || { echo "bench: $$image run $$run failed (see $$dir/$$image-run$$run.log)"; exit 1; }; \
	  done; done; \
	done
	@$(if $(filter 1,$(BUILD_TIMES)),support/scripts/build-times.sh $(BENCH_DIR)/build-times.json)
	@support/scripts/bench-report.py --logs $(BENCH_DIR) --stock-logs $(STOCK_DIR) --out $(BENCH_DIR)/results.json \
	  --config support/kernel/config/bench.config $(BENCH_IMAGES) \
	  $(if $(filter 1,$(BUILD_TIMES)),--build-times $(BENCH_DIR)/build-times.json) $(if $(COMPARE),--compare $(COMPARE))

# --- fuzzing ---------------------------------------------------------------------
# `make test` runs each target briefly; this runs each for FUZZ_SECONDS.
FUZZ_SECONDS ?= 300
fuzz: $(DEPS_STAMP)
	@support/scripts/fuzz.sh long $(FUZZ_SECONDS)

# --- test --------------------------------------------------------------------
# `make test` runs everything; `make test SUITE=kernel [TESTS='IPC*,CNODE0001']`
# builds and runs only that suite, with only the selected tests.
TEST_ENV := BUILD_DIR=$(CFG_BUILD) RESULTS_DIR=$(BUILD)/test-results HARNESS=$(HARNESS) \
            QEMU_HOME=$(QEMU_HOME) QEMU_RAM_MB=$(QEMU_RAM_MB) TIMEOUT=$(TIMEOUT) \
            LOG_SEAL=$(LOG_SEAL) PD_DIR=$(PD_DIR)
ifdef SUITE
test: $(IMAGES)/$(SUITE)-suite.elf $(HARNESS)
	@$(TEST_ENV) SUITES=$(SUITE) SECTIONS=suites tests/run-all.sh
else
# The suites run again on the kernel without our patches and on the benchmark
# (release) kernel with and without them: a kernel change is judged on each.
# The XNU suite runs again on the patched release kernel (XNU_KERNELS); not on
# stock kernels, where a task's DebugHalt would stop the machine.
SUITE_KERNELS := stock:$(BUILD)/$(KERNEL_CONFIG)-stock
ifneq ($(KERNEL_CONFIG),bench)
SUITE_KERNELS += bench:$(BENCH_DIR) bench-stock:$(STOCK_DIR)
endif
test: images $(HARNESS) $(TOOL) $(MANIFEST_TOOL) $(DEPS_STAMP)
	@$(MAKE) --no-print-directory KERNEL_PATCHES=off $(SUITES:%=$(BUILD)/$(KERNEL_CONFIG)-stock/images/%-suite.elf)
	@$(if $(filter bench:%,$(SUITE_KERNELS)),\
	  $(MAKE) --no-print-directory KERNEL_CONFIG=bench $(SUITES:%=$(BENCH_DIR)/images/%-suite.elf) $(BENCH_DIR)/images/system.elf && \
	  $(MAKE) --no-print-directory KERNEL_CONFIG=bench KERNEL_PATCHES=off $(SUITES:%=$(STOCK_DIR)/images/%-suite.elf))
	@$(TEST_ENV) SUITE_KERNELS="$(SUITE_KERNELS)" TOOL=$(TOOL) MANIFEST_TOOL=$(MANIFEST_TOOL) SUITES="$(SUITES)" \
	  XNU_KERNELS="$(filter bench:%,$(SUITE_KERNELS))" tests/run-all.sh
endif

clean:
	@echo "[clean] removing $(BUILD) and cargo's target/"
	@rm -rf $(BUILD)
	@cargo clean --quiet
