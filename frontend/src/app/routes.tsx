import { lazy, type ComponentType, type ReactNode } from 'react';
import type { RouteObject } from 'react-router';
import { Navigate } from 'react-router';
import { AppLayout } from './layout/AppLayout';
import { NotFoundRoute } from './NotFoundRoute';
import { RequireAuth } from './RequireAuth';
import { RouteErrorBoundary } from './RouteErrorBoundary';

/**
 * A screen loaded on first visit: each route is its own chunk, so the first page downloads only
 * the shell and that page's code. The layout's Suspense shows the loading state meanwhile.
 */
function page<K extends string>(load: () => Promise<Record<K, ComponentType>>, name: K): ReactNode {
  const Screen = lazy(async (): Promise<{ default: ComponentType }> => ({ default: (await load())[name] }));
  return <Screen />;
}

/**
 * Every screen of the app. To add an area: export a route component from
 * src/features/<area>/routes/<Name>Route.tsx and list it under `appRoutes`.
 */
export const appRoutes: RouteObject[] = [
  { index: true, element: <Navigate to="/projects" replace /> },
  { path: 'projects', element: page(() => import('@/features/projects/routes/ProjectsRoute'), 'ProjectsRoute') },
  { path: 'projects/:slug', element: page(() => import('./ProjectPage'), 'ProjectPage') },
  {
    path: 'projects/:slug/rubric',
    element: page(() => import('@/features/rubric/routes/ProjectRubricRoute'), 'ProjectRubricRoute'),
  },
  {
    path: 'projects/:slug/feature-lead-time',
    element: page(() => import('@/features/deployments/routes/FeatureLeadTimeRoute'), 'FeatureLeadTimeRoute'),
  },
  { path: 'rubric', element: page(() => import('@/features/rubric/routes/TeamRubricRoute'), 'TeamRubricRoute') },
  { path: 'ci', element: page(() => import('@/features/ci/routes/CiRoute'), 'CiRoute') },
  { path: 'projects/:slug/ci', element: page(() => import('@/features/ci/routes/ProjectCiRoute'), 'ProjectCiRoute') },
  {
    path: 'projects/:slug/ci/runs/:runId',
    element: page(() => import('@/features/ci/routes/CiRunRoute'), 'CiRunRoute'),
  },
  { path: 'models', element: page(() => import('@/features/models/routes/ModelsRoute'), 'ModelsRoute') },
  {
    path: 'projects/:slug/models',
    element: page(() => import('@/features/models/routes/ProjectModelsRoute'), 'ProjectModelsRoute'),
  },
  { path: 'projects/:slug/models/:model', element: page(() => import('@/features/models/routes/ModelRoute'), 'ModelRoute') },
  {
    path: 'projects/:slug/models/:model/versions/:number',
    element: page(() => import('./ModelVersionPage'), 'ModelVersionPage'),
  },
  {
    path: 'projects/:slug/datasets',
    element: page(() => import('@/features/datasets/routes/ProjectDatasetsRoute'), 'ProjectDatasetsRoute'),
  },
  {
    path: 'projects/:slug/datasets/:name',
    element: page(() => import('@/features/datasets/routes/DatasetRoute'), 'DatasetRoute'),
  },
  { path: 'jobs', element: page(() => import('@/features/jobs/routes/JobsRoute'), 'JobsRoute') },
  { path: 'jobs/:id', element: page(() => import('@/features/jobs/routes/JobRoute'), 'JobRoute') },
  { path: 'deployments', element: page(() => import('@/features/deployments/routes/DeploymentsRoute'), 'DeploymentsRoute') },
  {
    path: 'deployments/:project/:name',
    element: page(() => import('@/features/deployments/routes/DeploymentRoute'), 'DeploymentRoute'),
  },
  {
    path: 'deployments/:project/:name/predictions',
    element: page(() => import('@/features/deployments/routes/PredictionsRoute'), 'PredictionsRoute'),
  },
  { path: 'monitoring', element: page(() => import('@/features/monitoring/routes/MonitoringRoute'), 'MonitoringRoute') },
  {
    path: 'monitoring/:project/:deployment',
    element: page(() => import('@/features/monitoring/routes/DeploymentMonitoringRoute'), 'DeploymentMonitoringRoute'),
  },
  { path: '*', element: <NotFoundRoute /> },
];

export const routes: RouteObject[] = [
  {
    errorElement: <RouteErrorBoundary />,
    children: [
      { path: '/login', element: page(() => import('@/features/auth/routes/LoginRoute'), 'LoginRoute') },
      {
        element: <RequireAuth />,
        children: [{ path: '/', element: <AppLayout />, children: appRoutes }],
      },
    ],
  },
];
