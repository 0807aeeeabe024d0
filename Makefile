# Top-level build. `make help` lists the targets.
BUILD         ?= build
KERNEL_CONFIG ?= debug

PY_VENV    := $(BUILD)/venv
VENV_STAMP := $(PY_VENV)/.installed

.DEFAULT_GOAL := qemu-arm-virt

# --- host prerequisites ------------------------------------------------------
# Installs what is missing, and says so; does nothing when all is present.
DEBIAN_PACKAGES := gcc-aarch64-linux-gnu qemu-system-arm python3-venv libxml2-utils
DEPS_STAMP := $(BUILD)/.deps-ok

$(DEPS_STAMP): support/scripts/install-deps.sh
	@support/scripts/install-deps.sh $(DEBIAN_PACKAGES)
	@mkdir -p $(BUILD) && touch $@

$(VENV_STAMP): support/kernel/python-requirements.txt $(DEPS_STAMP)
	@echo "[deps] creating Python venv for the kernel's generators in $(PY_VENV)"
	@python3 -m venv $(PY_VENV)
	@$(PY_VENV)/bin/pip install --quiet --disable-pip-version-check -r $<
	@touch $@

.PHONY: deps
deps: $(DEPS_STAMP) $(VENV_STAMP)

include support/kernel/kernel.mk
