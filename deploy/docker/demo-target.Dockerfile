# syntax=docker/dockerfile:1
# A demo SSH target for docker-compose.yml: OpenSSH's sshd running as the unprivileged
# user "demo" (so it can only sign in "demo"), trusting the upstream CA only and
# presenting a host certificate from the host CA. Its keys come from the demo-target-keys
# volume, written by the compose "enroll-target" service as uid 65532, hence demo's uid.
# Not a production image: a target is a server people work on, so it keeps a shell, and
# its one package is installed in its final stage.
ARG TARGET_IMAGE=debian:12.11-slim

FROM ${TARGET_IMAGE} AS target
RUN apt-get update \
 && apt-get install -y --no-install-recommends openssh-server \
 && rm -rf /var/lib/apt/lists/* \
 && useradd --uid 65532 --user-group --create-home --shell /bin/bash demo \
 && rm -f /etc/ssh/ssh_host_*
COPY --chown=0:0 --chmod=0644 deploy/docker/demo-target/sshd_config /etc/access-demo/sshd_config
USER 65532:65532
EXPOSE 2222
HEALTHCHECK --interval=10s --timeout=5s --start-period=30s --retries=3 \
  CMD ["/usr/bin/timeout", "3", "/usr/bin/ssh-keyscan", "-p", "2222", "127.0.0.1"]
ENTRYPOINT ["/usr/sbin/sshd", "-D", "-e", "-f", "/etc/access-demo/sshd_config"]
