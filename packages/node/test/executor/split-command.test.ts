import { describe, it } from 'vitest'
import assert from 'node:assert/strict'
import { SwarmError } from '../../src/errors.js'
import { parseExecFlag, splitCommandLine } from '../../src/executor/index.js'

describe('splitCommandLine', () => {
  const cases: Array<[string, string[]]> = [
    ['python3 summarize.py --fast', ['python3', 'summarize.py', '--fast']],
    ['  spaced \t out\n  words  ', ['spaced', 'out', 'words']],
    ['', []],
    ['   ', []],
    ["echo 'single quoted  text'", ['echo', 'single quoted  text']],
    ['echo "double quoted  text"', ['echo', 'double quoted  text']],
    ['echo "a \\"b\\" \\\\ \\$ \\` \\x"', ['echo', 'a "b" \\ $ ` \\x']],
    ["echo 'no \\escapes \\' here", ['echo', 'no \\escapes \\', 'here']],
    [String.raw`a\ b c\"d \'e\\`, ['a b', 'c"d', "'e\\"]],
    ["one' two 'three", ['one two three']],
    ['mix"ed "\'quo\'tes', ['mixed quotes']],
    ["empty '' \"\" words", ['empty', '', '', 'words']],
    ['line \\\ncontinued', ['line', 'continued']],
    ['"multi \\\nline"', ['multi line']],
    ['no $HOME ${HOME} `here` * ~ #hash', ['no', '$HOME', '${HOME}', '`here`', '*', '~', '#hash']],
    ["quoted '$(not run)' \"$(nor this)\"", ['quoted', '$(not run)', '$(nor this)']],
    ["quoted operators '|' \";\" '&&' '>' '<' '(' ')'", ['quoted', 'operators', '|', ';', '&&', '>', '<', '(', ')']],
    [String.raw`escaped \| \; \&`, ['escaped', '|', ';', '&']],
    ['unicode “ok” ✓', ['unicode', '“ok”', '✓']]
  ]
  for (const [line, words] of cases) {
    it(`splits ${JSON.stringify(line)}`, () => {
      assert.deepEqual(splitCommandLine(line), words)
    })
  }

  it('throws on an unterminated quote, saying where it opened', () => {
    assert.throws(() => splitCommandLine("python3 'oops"), /unterminated single quote \(opened at character 9\)/)
    assert.throws(() => splitCommandLine('python3 "oops'), /unterminated double quote \(opened at character 9\)/)
    assert.throws(() => splitCommandLine('python3 "oops\\"'), /unterminated double quote/)
  })

  it('throws on a trailing backslash', () => {
    assert.throws(() => splitCommandLine('python3 x\\'), /ends with a backslash/)
  })

  it('refuses unquoted shell operators, since no shell runs the command', () => {
    for (const line of ['echo $(date)', 'cat a | jq', 'a; rm -rf /', 'a && b', 'a > out', 'a < in', '(sub)', 'curl http://x?a=1&b=2']) {
      assert.throws(() => splitCommandLine(line), /without a shell/, line)
    }
  })
})

describe('parseExecFlag', () => {
  it('takes the skill before the first "=" and splits the rest', () => {
    assert.deepEqual(parseExecFlag('summarize=python3 summarize.py --fast'), { skill: 'summarize', command: 'python3', args: ['summarize.py', '--fast'] })
    assert.deepEqual(parseExecFlag("x=tool --opt=a=b 'two words'"), { skill: 'x', command: 'tool', args: ['--opt=a=b', 'two words'] })
    assert.deepEqual(parseExecFlag('viz.v2=./bin/viz'), { skill: 'viz.v2', command: './bin/viz', args: [] })
  })

  it('throws CONFIG_INVALID showing the expected form', () => {
    const bad = ['python3 summarize.py', '=python3 x.py', 'Bad Name=python3', 'summarize=', 'summarize=   ', "summarize=python3 'x", 'summarize=a | b', 'summarize=""']
    for (const flag of bad) {
      assert.throws(() => parseExecFlag(flag), (err: unknown) => {
        assert.ok(err instanceof SwarmError, flag)
        assert.equal(err.code, 'CONFIG_INVALID')
        assert.match(err.message, /expected --exec 'skill=command \[arguments\.\.\.\]'/)
        assert.ok(err.message.includes(JSON.stringify(flag)), err.message)
        return true
      })
    }
  })
})
