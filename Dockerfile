# simterpose in a container: Debian 12 with Node.js 22 and the simterpose
# package installed from the tarballs npm pack made (no Rust in the image).
#
#   npm install && bash scripts/pack-check.sh pack      # leaves pack/simterpose-*.tgz
#   docker build -t simterpose .
#   docker run --rm --cap-add SYS_PTRACE simterpose simterpose run platforms/two-hosts.xml -- sh -c 'sleep 3600; date'
#
# --cap-add SYS_PTRACE: Docker's default seccomp profile lets pidfd_getfd,
# with which simterpose reads programs' descriptors, through only with it.
#
# Debian 12's own nodejs is 18.20, older than package.json's engines
# (>=22.12): the base is the Node.js project's image of Debian 12 instead.
FROM node:22-bookworm-slim

# python3 and curl are the programs of the bundled walkthrough
# (examples/web/deployment.xml); add the programs of your own experiments.
# Unpinned: Debian 12's security updates are wanted.
# hadolint ignore=DL3008
RUN apt-get update \
  && apt-get install -y --no-install-recommends python3 curl \
  && rm -rf /var/lib/apt/lists/*

# Not the musl addon package: npm refuses it on glibc.
COPY pack/simterpose-[0-9]*.tgz pack/simterpose-linux-x64-gnu-*.tgz /tmp/simterpose/
# engine-strict: a Node.js that does not satisfy engines fails the build
# instead of giving an image that fails at run time. The addon comes from
# the prebuilt package simterpose-linux-x64-gnu, beside simterpose.
RUN npm install --global --engine-strict --no-audit --no-fund /tmp/simterpose/*.tgz \
  && rm -rf /tmp/simterpose \
  && simterpose --version

# The package's folder, so that its platforms/ and examples/ are at hand.
WORKDIR /usr/local/lib/node_modules/simterpose
CMD ["simterpose", "--help"]
