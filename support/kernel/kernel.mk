# Builds the seL4 5.0.0 kernel for the qemu-arm-virt platform.
# Included from the top-level Makefile; expects CFG_BUILD, KERNEL_CONFIG, VENV_STAMP
# and PY_VENV to be defined there.
#
#   $(KERNEL_SRC)   upstream source copied into the build tree, with our
#                   platform port overlaid, the build fixes below applied, and
#                   our kernel patches (patches/*.patch) applied
#   $(KERNEL_ELF)   the kernel image the loader boots
#
# Each patch guards its code with a CONFIG_PATCH_* switch, which the config
# files turn on. KERNEL_PATCHES=off (set by the Makefile) builds the same
# config with every switch left out, into its own build directory, so one
# `make bench` measures both and `make test` runs the kernel suite on both.

KERNEL_DIR       := support/kernel
KERNEL_CFG_SRC   := $(KERNEL_DIR)/config/$(KERNEL_CONFIG).config
# The config this build uses: the source config, or it without the patch
# switches (KERNEL_PATCHES=off). The kernel's autoconf.h and the Rust
# bindings (SEL4_CONFIG) both come from it.
KERNEL_CFG_FILE  := $(CFG_BUILD)/kernel.config
KERNEL_OVERLAY   := $(KERNEL_DIR)/platform/qemu-arm-virt
KERNEL_SRC       := $(CFG_BUILD)/kernel-src
KERNEL_OBJ       := $(CFG_BUILD)/kernel
KERNEL_ELF       := $(KERNEL_OBJ)/kernel.elf
KERNEL_SRC_STAMP := $(KERNEL_SRC)/.prepared
KERNEL_PATCH_FILES := $(sort $(wildcard $(KERNEL_DIR)/patches/*.patch))

ifeq ($(wildcard $(KERNEL_CFG_SRC)),)
$(error KERNEL_CONFIG=$(KERNEL_CONFIG): no file $(KERNEL_CFG_SRC))
endif

# A debug kernel needs the kernel Makefile's DEBUG=1 as well as CONFIG_DEBUG_BUILD
# in autoconf.h: 5.0.0 tests the plain DEBUG macro in some places.
KERNEL_DEBUG := $(if $(shell grep -qx 'CONFIG_DEBUG_BUILD=y' $(KERNEL_CFG_SRC) && echo y),DEBUG=1)
QEMU_RAM_MB  := $(shell sed -n 's/^CONFIG_QEMU_VIRT_RAM_MB=//p' $(KERNEL_CFG_SRC))

$(KERNEL_CFG_FILE): $(KERNEL_CFG_SRC)
	@mkdir -p $(@D)
	@sed $(if $(filter off,$(KERNEL_PATCHES)),'/^CONFIG_PATCH_/d','') $< > $@

# Build fixes for today's toolchain, each applied here and nowhere else:
# - WARNINGS: the upstream list contains `error` (-Werror); GCC 12 warns about a
#   CONST attribute on a void function in arch/arm/64/kernel/thread.c. Keep the
#   warnings, drop -Werror.
# - CIRCULAR_INCLUDES: its checker does not understand modern cpp line markers.
# - -marm (sed below): the Makefile adds it to every ARM build; AArch64 GCC rejects it.
KERNEL_FIX_VARS := \
    WARNINGS="all strict-prototypes missing-prototypes nested-externs missing-declarations undef pointer-arith no-nonnull" \
    CIRCULAR_INCLUDES=true

KERNEL_MAKE_VARS := \
    SOURCE_ROOT=$(abspath $(KERNEL_SRC)) \
    ARCH=arm SEL4_ARCH=aarch64 ARMV=armv8-a CPU=cortex-a53 PLAT=qemu-arm-virt \
    TOOLPREFIX=aarch64-linux-gnu- PYTHON=python $(KERNEL_DEBUG) $(KERNEL_FIX_VARS)

# Copy the fetched source, overlay the platform port, register the platform
# with the kernel's Makefiles, and write autoconf.h from our config file.
$(KERNEL_SRC_STAMP): $(KERNEL_DIR)/kernel.mk $(KERNEL_DIR)/source/Cargo.lock $(KERNEL_PATCH_FILES) \
        $(KERNEL_CFG_FILE) $(shell find $(KERNEL_OVERLAY) -type f) | $(DEPS_STAMP)
	@echo "[kernel] preparing seL4 source in $(KERNEL_SRC)"
	@upstream=$$($(KERNEL_DIR)/source/locate.sh) && \
	  rm -rf $(KERNEL_SRC) && mkdir -p $(KERNEL_SRC) && \
	  cp -a "$$upstream"/. $(KERNEL_SRC)/ && chmod -R u+w $(KERNEL_SRC)
	@cp -a $(KERNEL_OVERLAY)/. $(KERNEL_SRC)/
	@sed -i 's/^\(PLAT_LIST:=.*\)$$/\1 qemu-arm-virt/' $(KERNEL_SRC)/Makefile
	@sed -i 's/ -marm / /' $(KERNEL_SRC)/Makefile
	@printf '\nifeq ($$(PLAT), qemu-arm-virt)\n    ARCH_C_SOURCES += machine/gic_pl390.c\nendif\n' \
	  >> $(KERNEL_SRC)/src/arch/arm/machine/Makefile
	@for p in $(KERNEL_PATCH_FILES); do \
	  echo "[kernel] applying $$p"; patch -s -p1 -d $(KERNEL_SRC) < $$p || exit 1; done
	@$(KERNEL_DIR)/config-to-autoconf.sh $(KERNEL_CFG_FILE) \
	  > $(KERNEL_SRC)/include/plat/qemu-arm-virt/autoconf.h
	@touch $@

$(KERNEL_ELF): $(KERNEL_SRC_STAMP) $(VENV_STAMP)
	@echo "[kernel] building seL4 $$(cat $(KERNEL_SRC)/VERSION) ($(KERNEL_CONFIG)) for qemu-arm-virt"
	@mkdir -p $(KERNEL_OBJ)
	@PATH=$(abspath $(PY_VENV))/bin:$$PATH \
	  $(MAKE) --no-print-directory -C $(KERNEL_OBJ) -f $(abspath $(KERNEL_SRC))/Makefile \
	  $(KERNEL_MAKE_VARS) kernel.elf
	@touch $@

.PHONY: kernel
kernel: $(KERNEL_ELF)
