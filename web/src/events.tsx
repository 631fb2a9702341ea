// Live updates: one WebSocket to /api/events while signed in. Pages subscribe to its messages; on
// {"type":"hello"} (every (re)connect) they refetch their lists, so nothing is missed while offline.
// Reconnects with a doubling, capped delay; never polls.
import { createContext, useCallback, useContext, useEffect, useRef, useState, type ReactNode } from 'react';
import type { ServerEvent } from './api/types';
import { useSession } from './session';

type Listener = (e: ServerEvent) => void;

interface EventsState {
  online: boolean;
  subscribe: (fn: Listener) => () => void;
}

const EventsContext = createContext<EventsState | null>(null);

const firstDelayMs = 1000;
const maxDelayMs = 30000;
const sessionEndedCode = 4002;

export function wsUrl(path: string): string {
  const scheme = location.protocol === 'https:' ? 'wss:' : 'ws:';
  return `${scheme}//${location.host}${path}`;
}

export function EventsProvider({ children }: { children: ReactNode }) {
  const { user, expired } = useSession();
  const listeners = useRef(new Set<Listener>());
  // Starts "online" so no warning flashes before the first connect.
  const [online, setOnline] = useState(true);

  useEffect(() => {
    if (!user) return;
    let socket: WebSocket | null = null;
    let timer: number | undefined;
    let delay = firstDelayMs;
    let stopped = false;

    const connect = () => {
      socket = new WebSocket(wsUrl('/api/events'));
      socket.onmessage = (m) => {
        let event: ServerEvent;
        try {
          event = JSON.parse(String(m.data));
        } catch {
          return;
        }
        if (event.type === 'hello') {
          delay = firstDelayMs;
          setOnline(true);
        }
        for (const fn of listeners.current) fn(event);
      };
      socket.onclose = (c) => {
        socket = null;
        if (stopped) return;
        if (c.code === sessionEndedCode) {
          expired();
          return;
        }
        setOnline(false);
        timer = window.setTimeout(connect, delay);
        delay = Math.min(delay * 2, maxDelayMs);
      };
    };
    connect();
    return () => {
      stopped = true;
      window.clearTimeout(timer);
      socket?.close(1000);
    };
  }, [user, expired]);

  const subscribe = useCallback((fn: Listener) => {
    listeners.current.add(fn);
    return () => {
      listeners.current.delete(fn);
    };
  }, []);

  return <EventsContext.Provider value={{ online, subscribe }}>{children}</EventsContext.Provider>;
}

// Calls `fn` for every live message while the component is mounted (the latest `fn`, without resubscribing).
export function useServerEvents(fn: Listener) {
  const ctx = useContext(EventsContext);
  if (!ctx) throw new Error('useServerEvents outside EventsProvider');
  const latest = useRef(fn);
  latest.current = fn;
  const { subscribe } = ctx;
  useEffect(() => subscribe((e) => latest.current(e)), [subscribe]);
}

export function useEventsOnline(): boolean {
  return useContext(EventsContext)?.online ?? true;
}
