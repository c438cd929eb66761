/** The names of the role presets (roles.ts), apart so that the settings' schema can name them. */
export const ROLE_NAMES = ['architect', 'clarifier', 'coder', 'reviewer', 'tester', 'optimizer', 'documenter', 'debugger', 'security'] as const
export type RoleName = (typeof ROLE_NAMES)[number]
