# Thin wrapper over CMake.  The two commands of the README:
#   make run    install build deps, build, start mond in the foreground on etc/mon.cf
#   make test   install test deps, build (warnings are errors), run every test,
#               then the unit tests again under ASan + UBSan
BUILD      ?= build
ASAN_BUILD ?= build-asan
RUNDIR     ?= run
JOBS       ?= $(shell nproc)
CTEST_ARGS ?=

.PHONY: all build run test unit integration asan deps-build deps-test bench clean

all: build

deps-build:
	@./deps/install.sh build

deps-test:
	@./deps/install.sh test

build: deps-build
	@cmake -S . -B $(BUILD) -DMOND_WERROR=ON >/dev/null
	@cmake --build $(BUILD) -j $(JOBS)

run: build
	@mkdir -p $(RUNDIR)/state $(RUNDIR)/log
	@echo "mond: state and logs in $(RUNDIR)/; status page http://127.0.0.1:2584/ ; Ctrl-C stops"
	exec ./$(BUILD)/mond -c etc/mon.cf \
	    -D $(RUNDIR)/state -L $(RUNDIR)/log \
	    -s $(BUILD)/monitors -a $(BUILD)/alerts

test: deps-test build
	cd $(BUILD) && ctest --output-on-failure -j $(JOBS) $(CTEST_ARGS)
	@$(MAKE) --no-print-directory asan

unit: build
	cd $(BUILD) && ctest --output-on-failure -j $(JOBS) -L unit

integration: build
	cd $(BUILD) && ctest --output-on-failure -j $(JOBS) -L integration

asan: deps-build
	@cmake -S . -B $(ASAN_BUILD) -DMOND_WERROR=ON -DMOND_SANITIZE=ON >/dev/null
	@cmake --build $(ASAN_BUILD) -j $(JOBS)
	cd $(ASAN_BUILD) && ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
	    UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
	    ctest --output-on-failure -j $(JOBS) -L unit

bench: build
	./bench/run

clean:
	rm -rf $(BUILD) $(ASAN_BUILD)
