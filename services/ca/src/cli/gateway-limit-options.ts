import { Option, type Command } from 'commander';
import { DEFAULT_GATEWAY_CONFIG } from '@access/gateway';
import { GATEWAY_LIMIT_SETTINGS } from '../config.ts';

/** Offers every gateway limit as a flag (`start` and `gateway`); `gatewayLimits(command.opts(), env)` reads them. */
export function addGatewayLimitOptions(command: Command): Command {
  for (const setting of GATEWAY_LIMIT_SETTINGS) {
    const fallback = DEFAULT_GATEWAY_CONFIG[setting.key];
    const [value, shown] = setting.kind === 'duration' ? ['<duration>', `${fallback / 1000}s`] : ['<n>', String(fallback)];
    command.addOption(new Option(`${setting.flag} ${value}`, `gateway: ${setting.description} (env ${setting.env}; default ${shown})`));
  }
  return command;
}
