import { createContext, useCallback, useContext, useMemo, useState, type ReactNode } from 'react';
import type { components } from '@/api/schema';

export type Membership = components['schemas']['MeTeam'];

export const TEAM_STORAGE_KEY = 'shipyard.team';

interface CurrentTeamValue {
  /** The selected team, or null when the user belongs to none. */
  team: Membership | null;
  teams: Membership[];
  setTeam: (slug: string) => void;
}

const CurrentTeamContext = createContext<CurrentTeamValue | null>(null);

function readStored(): string | null {
  try {
    return window.localStorage.getItem(TEAM_STORAGE_KEY);
  } catch {
    return null;
  }
}

function writeStored(slug: string): void {
  try {
    window.localStorage.setItem(TEAM_STORAGE_KEY, slug);
  } catch {
    // Storage may be unavailable (private mode); the context still holds the choice.
  }
}

export function CurrentTeamProvider({ teams, children }: { teams: Membership[]; children: ReactNode }) {
  const [selected, setSelected] = useState<string | null>(readStored);

  // Fall back to the first team when the stored one is gone (left the team, other user).
  const team = useMemo(
    () => teams.find((candidate) => candidate.slug === selected) ?? teams[0] ?? null,
    [teams, selected],
  );

  const setTeam = useCallback((slug: string) => {
    setSelected(slug);
    writeStored(slug);
  }, []);

  const value = useMemo(() => ({ team, teams, setTeam }), [team, teams, setTeam]);
  return <CurrentTeamContext.Provider value={value}>{children}</CurrentTeamContext.Provider>;
}

export function useCurrentTeam(): CurrentTeamValue {
  const value = useContext(CurrentTeamContext);
  if (!value) throw new Error('useCurrentTeam must be used inside <CurrentTeamProvider>');
  return value;
}
