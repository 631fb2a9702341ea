// The admin panels' tables: a wrapper that scrolls sideways on narrow screens, one header row of column
// names, and the rows the panel renders.
import type { ReactNode } from 'react';

export function AdminTable({ columns, children }: { columns: string[]; children: ReactNode }) {
  return (
    <div className="table-wrap">
      <table>
        <thead>
          <tr>
            {columns.map((name) => (
              <th scope="col" key={name}>
                {name}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>{children}</tbody>
      </table>
    </div>
  );
}
