import { DockerfileParser, type Instruction } from 'dockerfile-ast';

/**
 * A few rules for our Dockerfiles, on top of a real parser (dockerfile-ast). Each returns
 * messages naming the line; no message means the rule holds.
 */
export interface RuleOptions {
  /**
   * A stand-in for a server people work on (the compose demo target): one stage, which
   * installs its packages. Every other rule still holds.
   */
  singleStageServer?: boolean;
}

const EXEC_FORM = /^\s*\[.*\]\s*$/s;
const INSTALL = /\b(apt-get|apt|apk|dnf|yum|microdnf)\s+(install|add)\b|\bnpm\s+(install|ci|i)\b|\byarn\s+(add|install)\b/;

export function checkDockerfile(text: string, options: RuleOptions = {}): string[] {
  const dockerfile = DockerfileParser.parse(text);
  const problems: string[] = [];
  const at = (instruction: Instruction) => `line ${instruction.getRange().start.line + 1}`;

  // ARG defaults before the first FROM: FROM ${BUILD_IMAGE} is judged by its default.
  const args = new Map<string, string>();
  for (const arg of dockerfile.getInitialARGs()) {
    const property = arg.getProperty();
    const value = property?.getValue();
    if (property && value) args.set(property.getName(), value);
  }
  const stageNames = new Set<string>();
  const froms = dockerfile.getFROMs();
  if (froms.length < 2 && !options.singleStageServer) problems.push('not a multi-stage build: one FROM');
  for (const from of froms) {
    const raw = from.getImage() ?? '';
    const image = raw.replace(/\$\{?(\w+)\}?/g, (_, name: string) => args.get(name) ?? `$${name}`);
    const name = from.getBuildStage();
    if (!stageNames.has(image)) {
      if (image.includes('$')) problems.push(`${at(from)}: base image ${raw} has no default`);
      else if (!/@sha256:[0-9a-f]{64}$/.test(image)) {
        const tag = /:([^/:@]+)$/.exec(image)?.[1];
        if (!tag || tag === 'latest') problems.push(`${at(from)}: base image ${image} is not pinned to a tag or digest`);
      }
    }
    if (name) stageNames.add(name);
  }

  for (const add of dockerfile.getInstructions().filter((i) => i.getKeyword() === 'ADD')) {
    if (/\bhttps?:\/\/|\bgit@/.test(add.getArgumentsContent() ?? '')) problems.push(`${at(add)}: ADD of a URL (download in a build stage and check a hash)`);
  }

  const final = froms.at(-1);
  const finalLine = final ? final.getRange().start.line : 0;
  const finalStage = dockerfile.getInstructions().filter((i) => i.getRange().start.line > finalLine);
  const of = (keyword: string) => finalStage.filter((i) => i.getKeyword() === keyword);

  const user = of('USER').at(-1)?.getArgumentsContent()?.trim();
  if (!user) problems.push('final stage: no USER (it would run as root)');
  else if (/^(root|0)(:|$)/.test(user)) problems.push(`final stage: USER ${user} is root`);

  const healthcheck = of('HEALTHCHECK').at(-1);
  if (!healthcheck) problems.push('final stage: no HEALTHCHECK');
  else {
    const command = /\bCMD\b(.*)$/s.exec(healthcheck.getArgumentsContent() ?? '')?.[1] ?? '';
    if (!EXEC_FORM.test(command.replace(/\\\n/g, ' '))) problems.push(`${at(healthcheck)}: HEALTHCHECK CMD is not in exec form (there may be no shell)`);
  }

  const entrypoint = of('ENTRYPOINT').at(-1);
  if (!entrypoint) problems.push('final stage: no ENTRYPOINT');
  else if (!EXEC_FORM.test(entrypoint.getArgumentsContent() ?? '')) problems.push(`${at(entrypoint)}: ENTRYPOINT is not in exec form`);
  const cmd = of('CMD').at(-1);
  if (cmd && !EXEC_FORM.test(cmd.getArgumentsContent() ?? '')) problems.push(`${at(cmd)}: CMD is not in exec form`);

  if (!options.singleStageServer) {
    for (const run of of('RUN')) {
      if (INSTALL.test(run.getArgumentsContent() ?? '')) problems.push(`${at(run)}: installs packages in the final stage`);
    }
  }
  for (const copy of [...of('COPY'), ...of('ADD')]) {
    if (!/--chown=/.test(copy.getTextContent())) problems.push(`${at(copy)}: ${copy.getKeyword()} without --chown (say who owns the files)`);
  }
  return problems;
}
