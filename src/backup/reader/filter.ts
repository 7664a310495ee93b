import type { BackupEntry, BackupEntryType, EntryFilter } from './types.js';

/**
 * A glob as a RegExp: `*` any run of characters except `/`, `**` any run including `/` (`**\/` also matches
 * nothing), `?` one character except `/`, `[abc]`/`[!abc]` a class; everything else is literal.
 */
export function globToRegExp(glob: string): RegExp {
  let re = '';
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i]!;
    if (c === '*') {
      if (glob[i + 1] === '*') {
        i++;
        if (glob[i + 1] === '/') {
          i++;
          re += '(?:.*/)?';
        } else {
          re += '.*';
        }
      } else {
        re += '[^/]*';
      }
    } else if (c === '?') {
      re += '[^/]';
    } else if (c === '[') {
      const end = glob.indexOf(']', i + 2);
      if (end < 0) {
        re += '\\[';
        continue;
      }
      let body = glob.slice(i + 1, end);
      const negate = body.startsWith('!') || body.startsWith('^');
      if (negate) body = body.slice(1);
      body = body.replace(/[\\\]^]/g, (m) => `\\${m}`);
      re += negate ? `[^${body}/]` : `[${body}]`;
      i = end;
    } else {
      re += c.replace(/[.+^${}()|\\[\]]/g, (m) => `\\${m}`);
    }
  }
  return new RegExp(`^${re}$`, 's');
}

export function hasGlobChars(s: string): boolean {
  return /[*?[]/.test(s);
}

/** True when `re` matches `path` or one of its ancestor folders (so `Media/DCIM` selects the whole folder). */
function matchesPathOrAncestor(re: RegExp, path: string): boolean {
  if (re.test(path)) return true;
  for (let i = path.indexOf('/'); i > 0; i = path.indexOf('/', i + 1)) {
    if (re.test(path.slice(0, i))) return true;
  }
  return false;
}

/**
 * A predicate for an EntryFilter, compiled once. The path glob selects an entry when it matches the entry's
 * relative path or one of its ancestor folders.
 */
export function compileFilter(filter: EntryFilter | undefined): (e: Pick<BackupEntry, 'domain' | 'relativePath' | 'type'>) => boolean {
  if (!filter) return () => true;
  const domainRe = filter.domain !== undefined ? globToRegExp(filter.domain) : undefined;
  const pathRe = filter.path !== undefined ? globToRegExp(filter.path.replace(/^\/+/, '')) : undefined;
  const types: BackupEntryType[] | undefined =
    filter.type === undefined ? undefined : Array.isArray(filter.type) ? filter.type : [filter.type];
  return (e) =>
    (domainRe === undefined || domainRe.test(e.domain)) &&
    (pathRe === undefined || matchesPathOrAncestor(pathRe, e.relativePath)) &&
    (types === undefined || types.includes(e.type));
}
