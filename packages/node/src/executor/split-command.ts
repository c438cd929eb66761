/**
 * Splitting a command line into a program and its arguments the way a POSIX shell splits words,
 * without running a shell: for `--exec 'summarize=python3 summarize.py --fast'`.
 */
import { SKILL_NAME_PATTERN } from '@swarm/protocol'
import { SwarmError } from '../errors.js'

/** Characters that are operators to a shell; unquoted, they are refused rather than passed on. */
const OPERATORS = new Set(['|', '&', ';', '<', '>', '(', ')'])

/** Characters a backslash escapes inside double quotes (POSIX); before others it stays. */
const DOUBLE_QUOTE_ESCAPES = new Set(['$', '`', '"', '\\'])

function isBlank (ch: string): boolean {
  return ch === ' ' || ch === '\t' || ch === '\n'
}

/**
 * Splits `line` into words like a POSIX shell: blanks (space, tab, newline) separate words;
 * `'...'` keeps everything literally; `"..."` keeps everything except that a backslash escapes
 * `$`, `` ` ``, `"`, `\` and a newline; outside quotes a backslash escapes the next character;
 * backslash-newline continues the line; `''` and `""` make an empty word. Nothing is expanded:
 * `$VAR`, `$(...)`, backquotes, `*` and `~` stay as written, and `#` starts no comment.
 *
 * Throws an Error on an unterminated quote, a trailing backslash, or an unquoted shell operator
 * (`| & ; < > ( )`): the command runs without a shell, so pipes and redirections would not work.
 */
export function splitCommandLine (line: string): string[] {
  const words: string[] = []
  let word = ''
  let inWord = false
  let i = 0
  while (i < line.length) {
    const ch = line.charAt(i)
    if (isBlank(ch)) {
      if (inWord) words.push(word)
      word = ''
      inWord = false
      i++
    } else if (ch === "'") {
      const end = line.indexOf("'", i + 1)
      if (end === -1) throw new Error(`unterminated single quote (opened at character ${i + 1}) in: ${line}`)
      word += line.slice(i + 1, end)
      inWord = true
      i = end + 1
    } else if (ch === '"') {
      let j = i + 1
      let closed = false
      while (j < line.length) {
        const c = line.charAt(j)
        if (c === '"') { closed = true; break }
        const next = line.charAt(j + 1)
        if (c === '\\' && next === '\n') {
          j += 2
        } else if (c === '\\' && DOUBLE_QUOTE_ESCAPES.has(next)) {
          word += next
          j += 2
        } else {
          word += c
          j++
        }
      }
      if (!closed) throw new Error(`unterminated double quote (opened at character ${i + 1}) in: ${line}`)
      inWord = true
      i = j + 1
    } else if (ch === '\\') {
      if (i + 1 >= line.length) throw new Error(`command line ends with a backslash that escapes nothing: ${line}`)
      const next = line.charAt(i + 1)
      if (next !== '\n') {
        word += next
        inWord = true
      }
      i += 2
    } else if (OPERATORS.has(ch)) {
      throw new Error(`unquoted "${ch}" at character ${i + 1} of: ${line} — the command runs without a shell, so pipes, redirections, "&", ";" and subshells are not available; quote it ('${ch}') to pass it as an argument, or put the pipeline in a script`)
    } else {
      word += ch
      inWord = true
      i++
    }
  }
  if (inWord) words.push(word)
  return words
}

/** A parsed `--exec skill=command args...` flag. */
export interface ExecFlag {
  skill: string
  command: string
  args: string[]
}

const EXEC_FORM = 'expected --exec \'skill=command [arguments...]\', e.g. --exec \'summarize=python3 summarize.py --fast\''

/**
 * Parses the CLI's `--exec 'summarize=python3 summarize.py --fast'`: the skill name is what
 * comes before the first `=`, the rest is split with {@link splitCommandLine} into the command
 * and its arguments. Throws SwarmError CONFIG_INVALID with a message that shows the expected form.
 */
export function parseExecFlag (flag: string): ExecFlag {
  const invalid = (why: string): SwarmError => new SwarmError('CONFIG_INVALID', `invalid --exec ${JSON.stringify(flag)}: ${why}; ${EXEC_FORM}`)
  const eq = flag.indexOf('=')
  if (eq === -1) throw invalid('no "=" between the skill name and the command')
  const skill = flag.slice(0, eq).trim()
  if (!SKILL_NAME_PATTERN.test(skill)) {
    throw invalid(`the skill name ${JSON.stringify(skill)} must be 1 to 64 characters of a-z 0-9 . _ - starting with a letter or digit`)
  }
  let words: string[]
  try {
    words = splitCommandLine(flag.slice(eq + 1))
  } catch (err) {
    throw invalid((err as Error).message)
  }
  const [command, ...args] = words
  if (command === undefined || command === '') throw invalid(`no command after "${skill}="`)
  return { skill, command, args }
}
