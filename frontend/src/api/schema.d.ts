/**
 * Hand-written placeholder in the shape openapi-typescript generates.
 * Regenerate from the backend schema with `npm run gen:api`
 * (reads ../var/openapi.yaml, as exported by drf-spectacular).
 */

export interface paths {
  "/api/v1/auth/csrf/": {
    parameters: { query?: never; header?: never; path?: never; cookie?: never };
    /** @description Sets the csrftoken cookie. */
    get: operations["auth_csrf_retrieve"];
    put?: never;
    post?: never;
    delete?: never;
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  "/api/v1/auth/login/": {
    parameters: { query?: never; header?: never; path?: never; cookie?: never };
    get?: never;
    put?: never;
    post: operations["auth_login_create"];
    delete?: never;
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  "/api/v1/auth/logout/": {
    parameters: { query?: never; header?: never; path?: never; cookie?: never };
    get?: never;
    put?: never;
    post: operations["auth_logout_create"];
    delete?: never;
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  "/api/v1/auth/me/": {
    parameters: { query?: never; header?: never; path?: never; cookie?: never };
    get: operations["auth_me_retrieve"];
    put?: never;
    post?: never;
    delete?: never;
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  "/api/v1/teams/": {
    parameters: { query?: never; header?: never; path?: never; cookie?: never };
    get: operations["teams_list"];
    put?: never;
    post: operations["teams_create"];
    delete?: never;
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  "/api/v1/projects/": {
    parameters: { query?: never; header?: never; path?: never; cookie?: never };
    get: operations["projects_list"];
    put?: never;
    post: operations["projects_create"];
    delete?: never;
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  "/api/v1/projects/{slug}/": {
    parameters: {
      query?: never;
      header?: never;
      path: { slug: string };
      cookie?: never;
    };
    get: operations["projects_retrieve"];
    put?: never;
    post?: never;
    delete: operations["projects_destroy"];
    options?: never;
    head?: never;
    patch: operations["projects_partial_update"];
    trace?: never;
  };
}

export type webhooks = Record<string, never>;

export interface components {
  schemas: {
    ErrorBody: {
      error: components["schemas"]["ErrorDetail"];
    };
    ErrorDetail: {
      code: string;
      message: string;
      fields?: {
        [key: string]: string[] | string;
      };
    };
    LoginRequest: {
      username: string;
      password: string;
    };
    LoginResponse: {
      user: components["schemas"]["Me"];
    };
    Me: {
      readonly id: number;
      readonly username: string;
      readonly email: string;
      readonly teams: components["schemas"]["Membership"][];
    };
    Membership: {
      slug: string;
      name: string;
      /** @enum {string} */
      role: components["schemas"]["RoleEnum"];
    };
    /** @enum {string} */
    RoleEnum: "viewer" | "member" | "maintainer" | "admin";
    Team: {
      slug: string;
      name: string;
      /** @enum {string} */
      readonly role: components["schemas"]["RoleEnum"];
      /** Format: date-time */
      readonly created_at: string;
    };
    TeamRequest: {
      slug: string;
      name: string;
    };
    PaginatedTeamList: {
      count: number;
      /** Format: uri */
      next: string | null;
      /** Format: uri */
      previous: string | null;
      results: components["schemas"]["Team"][];
    };
    Project: {
      readonly id: number;
      slug: string;
      name: string;
      /** @description Slug of the owning team. */
      team: string;
      description: string;
      /** Format: date-time */
      readonly created_at: string;
      /** Format: date-time */
      readonly updated_at: string;
    };
    ProjectRequest: {
      slug: string;
      name: string;
      team: string;
      description?: string;
    };
    PatchedProjectRequest: {
      slug?: string;
      name?: string;
      description?: string;
    };
    PaginatedProjectList: {
      count: number;
      /** Format: uri */
      next: string | null;
      /** Format: uri */
      previous: string | null;
      results: components["schemas"]["Project"][];
    };
  };
  responses: never;
  parameters: never;
  requestBodies: never;
  headers: never;
  pathItems: never;
}

export type $defs = Record<string, never>;

type ErrorResponse = {
  headers: { [name: string]: unknown };
  content: { "application/json": components["schemas"]["ErrorBody"] };
};

export interface operations {
  auth_csrf_retrieve: {
    parameters: { query?: never; header?: never; path?: never; cookie?: never };
    requestBody?: never;
    responses: {
      200: {
        headers: { [name: string]: unknown };
        content: { "application/json": Record<string, never> };
      };
    };
  };
  auth_login_create: {
    parameters: { query?: never; header?: never; path?: never; cookie?: never };
    requestBody: {
      content: { "application/json": components["schemas"]["LoginRequest"] };
    };
    responses: {
      200: {
        headers: { [name: string]: unknown };
        content: { "application/json": components["schemas"]["LoginResponse"] };
      };
      400: ErrorResponse;
      401: ErrorResponse;
    };
  };
  auth_logout_create: {
    parameters: { query?: never; header?: never; path?: never; cookie?: never };
    requestBody?: never;
    responses: {
      204: {
        headers: { [name: string]: unknown };
        content?: never;
      };
    };
  };
  auth_me_retrieve: {
    parameters: { query?: never; header?: never; path?: never; cookie?: never };
    requestBody?: never;
    responses: {
      200: {
        headers: { [name: string]: unknown };
        content: { "application/json": components["schemas"]["Me"] };
      };
      401: ErrorResponse;
      403: ErrorResponse;
    };
  };
  teams_list: {
    parameters: {
      query?: { page?: number };
      header?: never;
      path?: never;
      cookie?: never;
    };
    requestBody?: never;
    responses: {
      200: {
        headers: { [name: string]: unknown };
        content: { "application/json": components["schemas"]["PaginatedTeamList"] };
      };
    };
  };
  teams_create: {
    parameters: { query?: never; header?: never; path?: never; cookie?: never };
    requestBody: {
      content: { "application/json": components["schemas"]["TeamRequest"] };
    };
    responses: {
      201: {
        headers: { [name: string]: unknown };
        content: { "application/json": components["schemas"]["Team"] };
      };
      400: ErrorResponse;
    };
  };
  projects_list: {
    parameters: {
      query?: { team?: string; search?: string; page?: number };
      header?: never;
      path?: never;
      cookie?: never;
    };
    requestBody?: never;
    responses: {
      200: {
        headers: { [name: string]: unknown };
        content: { "application/json": components["schemas"]["PaginatedProjectList"] };
      };
    };
  };
  projects_create: {
    parameters: { query?: never; header?: never; path?: never; cookie?: never };
    requestBody: {
      content: { "application/json": components["schemas"]["ProjectRequest"] };
    };
    responses: {
      201: {
        headers: { [name: string]: unknown };
        content: { "application/json": components["schemas"]["Project"] };
      };
      400: ErrorResponse;
      403: ErrorResponse;
    };
  };
  projects_retrieve: {
    parameters: {
      query?: never;
      header?: never;
      path: { slug: string };
      cookie?: never;
    };
    requestBody?: never;
    responses: {
      200: {
        headers: { [name: string]: unknown };
        content: { "application/json": components["schemas"]["Project"] };
      };
      404: ErrorResponse;
    };
  };
  projects_partial_update: {
    parameters: {
      query?: never;
      header?: never;
      path: { slug: string };
      cookie?: never;
    };
    requestBody?: {
      content: { "application/json": components["schemas"]["PatchedProjectRequest"] };
    };
    responses: {
      200: {
        headers: { [name: string]: unknown };
        content: { "application/json": components["schemas"]["Project"] };
      };
      400: ErrorResponse;
      404: ErrorResponse;
    };
  };
  projects_destroy: {
    parameters: {
      query?: never;
      header?: never;
      path: { slug: string };
      cookie?: never;
    };
    requestBody?: never;
    responses: {
      204: {
        headers: { [name: string]: unknown };
        content?: never;
      };
      404: ErrorResponse;
    };
  };
}
