export { createMaintenanceWindow, listMaintenanceWindows, getMaintenanceWindow, cancelMaintenanceWindow, loadActiveWindows, type ActiveWindow } from './maintenance-windows.ts';
export { createMaintenanceWindowInput, listMaintenanceWindowsQuery, maintenanceWindowView, type MaintenanceWindowView } from './schemas.ts';
