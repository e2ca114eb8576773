import { problemTypes, type ProblemType } from '../http/problem.js'

/** The page at `/problems/<type>`: what a problem type means, for the people who meet it. */
export function problemPage(type: ProblemType): string {
  const { title, status, about } = problemTypes[type]
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${title}</title></head><body><h1>${status} ${title}</h1><p>${escapeHtml(about)}</p></body></html>`
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (char) => `&#${char.charCodeAt(0)};`)
}
