/** The SQL statements of the store (store.ts), prepared once each and cached there. */
/** The columns of a task row, in the order of the codec. */
export const TASK_COLUMNS = 'task_id, role, status, spec, state, result, group_id, announcer, skills, checkpoint, resume, created_at, updated_at'

export const SQL = {
  saveTask: `
    INSERT INTO tasks (${TASK_COLUMNS})
    VALUES (:taskId, :role, :status, :spec, :state, :result, :groupId, :announcer, :skills, :checkpoint, :resume, :createdAt, :updatedAt)
    ON CONFLICT (task_id, role) DO UPDATE SET
      status = excluded.status, spec = excluded.spec, state = excluded.state, result = excluded.result,
      group_id = excluded.group_id, announcer = excluded.announcer, skills = excluded.skills,
      checkpoint = COALESCE(excluded.checkpoint, tasks.checkpoint), resume = excluded.resume,
      created_at = excluded.created_at, updated_at = excluded.updated_at`,
  getTaskAnyRole: `SELECT ${TASK_COLUMNS} FROM tasks WHERE task_id = ?
    ORDER BY CASE role WHEN 'announcer' THEN 0 ELSE 1 END LIMIT 1`,
  getTask: `SELECT ${TASK_COLUMNS} FROM tasks WHERE task_id = ? AND role = ?`,
  deleteTask: 'DELETE FROM tasks WHERE task_id = ? AND role = ?',
  saveCheckpoint: 'UPDATE tasks SET checkpoint = ? WHERE task_id = ? AND role = ?',
  appendAudit: 'INSERT INTO audit (task_id, at, actor, action, detail) VALUES (?, ?, ?, ?, ?)',
  getSkillStats: 'SELECT success_rate, avg_completion_ms, samples FROM skill_stats WHERE skill = ?',
  saveSkillStats: `INSERT INTO skill_stats (skill, success_rate, avg_completion_ms, samples) VALUES (?, ?, ?, ?)
    ON CONFLICT (skill) DO UPDATE SET success_rate = excluded.success_rate,
      avg_completion_ms = excluded.avg_completion_ms, samples = excluded.samples`,
  listSkillStats: 'SELECT skill, success_rate, avg_completion_ms, samples FROM skill_stats ORDER BY skill',
  getReputation: 'SELECT peer_id, score, updated_at, successes, outcomes FROM reputations WHERE peer_id = ?',
  saveReputation: `INSERT INTO reputations (peer_id, score, updated_at, successes, outcomes) VALUES (?, ?, ?, ?, ?)
    ON CONFLICT (peer_id) DO UPDATE SET score = excluded.score, updated_at = excluded.updated_at,
      successes = excluded.successes, outcomes = excluded.outcomes`,
  listReputations: 'SELECT peer_id, score, updated_at, successes, outcomes FROM reputations ORDER BY peer_id',
  saveBlackboard: `INSERT INTO blackboards (task_id, group_id, role, state, snapshot, live, updated_at)
    VALUES (?, ?, ?, ?, ?, ?, ?)
    ON CONFLICT (task_id, group_id) DO UPDATE SET role = excluded.role, state = excluded.state,
      snapshot = excluded.snapshot, live = excluded.live, updated_at = excluded.updated_at`,
  listBlackboards: `SELECT task_id, group_id, role, state, snapshot, live, updated_at FROM blackboards
    WHERE task_id = ? ORDER BY updated_at DESC, group_id`,
  saveProposal: `INSERT INTO proposals (proposal_id, task_id, group_id, proposal, votes, status, tally, opened_at, updated_at)
    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
    ON CONFLICT (proposal_id) DO UPDATE SET proposal = excluded.proposal, votes = excluded.votes, status = excluded.status,
      tally = excluded.tally, updated_at = excluded.updated_at`,
  getProposal: `SELECT proposal_id, task_id, group_id, proposal, votes, status, tally, opened_at, updated_at
    FROM proposals WHERE proposal_id = ?`,
  saveEscalation: `INSERT INTO escalations (escalation_id, task_id, group_id, record, status, created_at, updated_at)
    VALUES (?, ?, ?, ?, ?, ?, ?)
    ON CONFLICT (escalation_id) DO UPDATE SET record = excluded.record, status = excluded.status,
      updated_at = excluded.updated_at`,
  getEscalation: `SELECT escalation_id, task_id, group_id, record, status, created_at, updated_at
    FROM escalations WHERE escalation_id = ?`,
  saveClaims: `INSERT INTO claims (group_id, task_id, state, updated_at) VALUES (?, ?, ?, ?)
    ON CONFLICT (group_id) DO UPDATE SET state = excluded.state, updated_at = excluded.updated_at`,
  getClaims: 'SELECT state FROM claims WHERE group_id = ?',
  deleteClaims: 'DELETE FROM claims WHERE group_id = ?',
  saveAward: `INSERT INTO awards (task_id, role, attempt, record, at) VALUES (?, ?, ?, ?, ?)
    ON CONFLICT (task_id, role, attempt) DO UPDATE SET record = excluded.record, at = excluded.at`,
  listAwards: 'SELECT task_id, role, attempt, record, at FROM awards WHERE task_id = ? ORDER BY attempt DESC, role',
  saveWorkflow: `INSERT INTO workflows (workflow_id, name, status, state, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?)
    ON CONFLICT (workflow_id) DO UPDATE SET status = excluded.status, state = excluded.state, updated_at = excluded.updated_at`,
  getWorkflow: 'SELECT state FROM workflows WHERE workflow_id = ?'
} as const
